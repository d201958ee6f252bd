// Copies the catena.v1 protos from the repository (../../proto) next to dist/, where the client loads them at run
// time; `npm run build` runs it, and CMake does the same copy into the build tree.
const fs = require('fs');
const path = require('path');

const from = path.resolve(__dirname, '..', '..', '..', 'proto', 'catena', 'v1');
const to = path.resolve(__dirname, '..', 'proto', 'catena', 'v1');
fs.mkdirSync(to, {recursive: true});
for (const name of fs.readdirSync(from).filter((file) => file.endsWith('.proto'))) {
  fs.copyFileSync(path.join(from, name), path.join(to, name));
}
