#!/usr/bin/env node
import { main } from '../build/src/storage/main.js';

await main(process.argv.slice(2));
