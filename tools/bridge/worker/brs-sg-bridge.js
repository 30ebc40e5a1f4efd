// Served as /brs-sg.js when the bridge is on: loads the real SceneGraph bundle, then the tmp:/
// allocator fix and the bridge extension, in every engine worker (main interpreter and each Task).
importScripts("./brs-sg.real.js");
importScripts("./sbfs-allocator.js");
importScripts("./brs-bridge-ext.js");
