export { Router, stripVersion } from './router.js';
export type { RouteMatch } from './router.js';
export { HttpContext } from './context.js';
export { HttpServer } from './server.js';
export type { Handler, HttpServerOptions } from './server.js';
export { WebSocketStream, webSocketRefusal, webSocketAccept, encodeWsFrame } from './websocket.js';
