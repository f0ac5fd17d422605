#!/usr/bin/env node
// Repositories set up before the drivers moved to ../drivers/ name this path in git config: it runs
// what is there now (../drivers/README.md), so they keep working until `nbpipe install` runs again, as
// `nbpipe doctor` tells them to.
'use strict';
require('../drivers/git-drivers.cjs');
