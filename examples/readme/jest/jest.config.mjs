// purple-dot-sim is ES modules only: Jest must load the tests as ES modules (node --experimental-vm-modules),
// so nothing may compile them to CommonJS, not even a babel config elsewhere in the project.
export default { testEnvironment: 'node', transform: {} };
