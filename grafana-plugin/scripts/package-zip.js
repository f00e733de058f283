// Packs dist/ into the zip layout Grafana installs: one top-level folder
// named after the plugin id, holding plugin.json, module.js and the rest.
// Written to artifacts/<id>-<version>.zip. Run by `npm run build`.
// Node only (zlib's deflate and crc32); no zip binary needed.
const { crc32, deflateRawSync } = require('zlib');
const { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } = require('fs');
const { join, relative, sep } = require('path');

// 1980-01-01 in MS-DOS date format (year-1980 << 9 | month << 5 | day).
const DOS_DATE = (1 << 5) | 1;

function filesUnder(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? filesUnder(p) : [p];
    });
}

/** Builds a zip (deflate, no extras) of every file under distDir, below `<pluginId>/`. */
function buildZip(distDir, pluginId) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const file of filesUnder(distDir)) {
    const name = Buffer.from(`${pluginId}/${relative(distDir, file).split(sep).join('/')}`, 'utf8');
    const data = readFileSync(file);
    const packed = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(0, 10); // time and date fixed at 1980-01-01 00:00, so builds are reproducible
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by: unix, 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Entry names of a zip, read from its central directory. */
function listZip(zip) {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let p = zip.readUInt32LE(end + 16);
  const names = [];
  for (let i = 0; i < count; i++) {
    const len = zip.readUInt16LE(p + 28);
    const extra = zip.readUInt16LE(p + 30);
    const comment = zip.readUInt16LE(p + 32);
    names.push(zip.toString('utf8', p + 46, p + 46 + len));
    p += 46 + len + extra + comment;
  }
  return names;
}

module.exports = { buildZip, listZip };

if (require.main === module) {
  const root = join(__dirname, '..');
  const plugin = JSON.parse(readFileSync(join(root, 'dist', 'plugin.json'), 'utf8'));
  const out = join(root, 'artifacts', `${plugin.id}-${plugin.info.version}.zip`);
  mkdirSync(join(root, 'artifacts'), { recursive: true });
  writeFileSync(out, buildZip(join(root, 'dist'), plugin.id));
  console.log(`packaged ${relative(process.cwd(), out)}`);
}
