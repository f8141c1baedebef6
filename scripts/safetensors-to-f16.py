#!/usr/bin/env python3
# Rewrites a model file with its network weights stored as float16 (the content check and the frozen-feature
# probe's linear part stay float32; its backbone is float16 too), to keep
# the shipped ensemble under 8 MiB in git. The reader widens F16 to float32 on load.
# Usage: /usr/bin/python3 scripts/safetensors-to-f16.py in.safetensors out.safetensors
import json, struct, sys, numpy as np
src, dst = sys.argv[1], sys.argv[2]
raw = open(src, 'rb').read(); n = struct.unpack('<Q', raw[:8])[0]; header = json.loads(raw[8:8+n]); body = raw[8+n:]
meta = header.pop('__metadata__', {})
out = {}; blobs = []; off = 0
for name in sorted(header):
    h = header[name]; a, b = h['data_offsets']
    assert h['dtype'] == 'F32'
    x = np.frombuffer(body[a:b], dtype='<f4')
    linear_probe = name.startswith('probe.') and not name.startswith('probe.backbone.')
    if not name.startswith('content_check.') and not linear_probe:
        y = x.astype('<f2'); assert np.all(np.isfinite(y)); x = y; dtype = 'F16'
    else: dtype = 'F32'
    data = x.tobytes(); out[name] = {'dtype': dtype, 'shape': h['shape'], 'data_offsets': [off, off+len(data)]}; blobs.append(data); off += len(data)
out['__metadata__'] = meta
hj = json.dumps(out, separators=(',', ':')).encode(); hj += b' ' * ((8 - len(hj) % 8) % 8)
open(dst, 'wb').write(struct.pack('<Q', len(hj)) + hj + b''.join(blobs))
