#!/usr/bin/env node
// Committed entry point so that npm links `nbpipe` at install time, before the first build.
import '../dist/bin.js';
