'use strict';
// Loads the compiled addon; the typed wrapper lives in src/native/.
module.exports = require('./build/Release/vrrpd_native.node');
