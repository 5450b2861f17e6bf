export { parseDockerfile, parseError, type Node, type ParsedDockerfile } from './parser.js';
export { parseStages, parseInstructions, toInstruction, type CommandForm, type Dockerfile, type HealthcheckSpec, type HeredocFile, type Instruction, type RunNetwork, type Stage } from './instructions.js';
export { expandWord, expandWords, expandHeredoc, splitRawWords, type Lookup } from './shell-lex.js';
export { DockerfileError, stepError, withLine } from './errors.js';
export { type Heredoc } from './heredoc.js';
export { mountKey, mountKeys, parseRunMount, type CacheSharing, type RunMount, type RunMountType } from './run-mounts.js';
