export { parseDockerfile, parseError, type Node, type ParsedDockerfile } from './parser.js';
export { parseStages, parseInstructions, toInstruction, type CommandForm, type Dockerfile, type HealthcheckSpec, type Instruction, type Stage } from './instructions.js';
export { expandWord, expandWords, splitRawWords, type Lookup } from './shell-lex.js';
