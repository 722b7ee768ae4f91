#!/usr/bin/env node
// Renders build/icon.png (512 × 512) from build/icon.svg with sharp; run after editing the SVG.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const dir = path.dirname(fileURLToPath(import.meta.url));
await sharp(path.join(dir, 'icon.svg')).resize(512, 512).png().toFile(path.join(dir, 'icon.png'));
