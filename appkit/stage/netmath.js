// The two-layer network's forward pass in float64, as twolayer/network.py computes it.
//
//   F = features(x1, x2)    Z1 = W1 F + b1    A1 = g(Z1)    Z2 = W2 A1 + b2    P = sigmoid(Z2)
//
// The network's inputs are k features of the point (x1, x2), as twolayer/features.py computes them, in
// FEATURES' order (TensorFlow Playground's); the tutorial's are x1, x2 themselves (k = 2).
// Parameters travel as one flat Float64Array of length h (k + 2) + 1 (h hidden units):
//   [W1 row-major (h x k): w1[k j + i] | b1 (h) | W2 (h) | b2]
// The same operations in the same order as NumPy (tanh via Math.tanh, relu as max(z, 0), sigmoid as
// exp(z - logaddexp(0, z)) with NumPy's stable logaddexp, W1 F summed over the features in order), so P
// agrees with `predict_proba` to ~1e-15; the tests hold it to 1e-9. No DOM here: the module runs anywhere.

export const ACTIVATIONS = ["tanh", "relu", "sigmoid", "linear"];

export const FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"];
export const DEFAULT_FEATURES = ["x1", "x2"];

// name -> [its value at (x, y), what it depends on: "x", "y" or "xy"], as twolayer/features.py's FORMULAS.
const FORMULAS = {
  x1: [(x, y) => x, "x"],
  x2: [(x, y) => y, "y"],
  "x1^2": [(x, y) => x * x, "x"],
  "x2^2": [(x, y) => y * y, "y"],
  "x1*x2": [(x, y) => x * y, "xy"],
  "sin(x1)": [(x, y) => Math.sin(x), "x"],
  "sin(x2)": [(x, y) => Math.sin(y), "y"],
};

export function featureFunction(name) {
  const formula = FORMULAS[name];
  if (!formula) throw new Error(`unknown feature ${name}`);
  return formula[0];
}

export const paramCount = (h, k = 2) => h * (k + 2) + 1;

export const hiddenUnits = (length, k = 2) => (length - 1) / (k + 2);

// Where b1, W2 and b2 start in the flat parameters (W1 starts at 0).
export const offsets = (h, k = 2) => ({ b1: h * k, w2: h * k + h, b2: h * k + 2 * h });

const isDefault = (features) => features.length === 2 && features[0] === "x1" && features[1] === "x2";

// NumPy's npy_logaddexp(0, z): log(e^0 + e^z) without overflow for any finite z.
export function logaddexp0(z) {
  if (z === 0) return Math.LN2;
  const tmp = -z; // x - y with x = 0, y = z
  if (tmp > 0) return Math.log1p(Math.exp(-tmp));
  if (tmp <= 0) return z + Math.log1p(Math.exp(tmp));
  return z; // NaN
}

export function sigmoid(z) {
  return Math.exp(z - logaddexp0(z));
}

function relu(z) {
  return Math.max(z, 0);
}

const identity = (z) => z;

export function activationFunction(name) {
  if (name === "tanh") return Math.tanh;
  if (name === "relu") return relu;
  if (name === "sigmoid") return sigmoid;
  if (name === "linear") return identity;
  throw new Error(`unknown activation ${name}`);
}

// Z1[j] = sum_i W1[j, i] F[i] + b1[j], summed over the features in order as NumPy's W1 @ F, then + b1.
function hiddenInput(p, f, k, j, b1) {
  let z = 0;
  for (let i = 0; i < k; i++) z += p[k * j + i] * f[i];
  return z + p[b1 + j];
}

// P(class 1) at points (xs[n], ys[n]) into out (length xs.length).
export function predictPoints(p, activation, xs, ys, out = new Float64Array(xs.length), features = DEFAULT_FEATURES) {
  const k = features.length;
  const h = hiddenUnits(p.length, k);
  const g = activationFunction(activation);
  const fs = features.map(featureFunction);
  const { b1, w2, b2 } = offsets(h, k);
  const f = new Float64Array(k);
  for (let n = 0; n < xs.length; n++) {
    for (let i = 0; i < k; i++) f[i] = fs[i](xs[n], ys[n]);
    let acc = 0;
    for (let j = 0; j < h; j++) acc += p[w2 + j] * g(hiddenInput(p, f, k, j, b1));
    out[n] = sigmoid(acc + p[b2]);
  }
  return out;
}

// The centres of an nx x ny pixel grid over [x0, x1] x [y0, y1], rows from the top (y1) down, as
// an image is laid out. Python reproduces these with the same float64 operations.
export function gridX(x0, x1, nx, i) {
  return x0 + (i + 0.5) * ((x1 - x0) / nx);
}

export function gridY(y0, y1, ny, r) {
  return y1 - (r + 0.5) * ((y1 - y0) / ny);
}

// Scratch buffers reused across frames (the map is recomputed up to 60 times a second).
let scratchX = new Float64Array(0);

// P(class 1) on the grid into out (length nx * ny, row r = out[r * nx ... r * nx + nx - 1]).
// W1[j,0] x is computed once per column and W1[j,1] y once per row: the same products NumPy forms,
// added in NumPy's order ((w0 x + w1 y) + b1), so the result is unchanged.
// Rows r0 .. r1 - 1 only, if given (the full-resolution map is computed a few rows per frame).
// Other features than x1, x2: each is computed once per column (x1, x1^2, sin(x1)), once per row (x2, ...)
// or per pixel (x1*x2), and W1 F is summed in order.
export function probabilityGrid(
  p, activation, x0, x1, y0, y1, nx, ny, out = new Float64Array(nx * ny), r0 = 0, r1 = ny, features = DEFAULT_FEATURES,
) {
  if (!isDefault(features)) return featureGrid(p, activation, x0, x1, y0, y1, nx, ny, out, r0, r1, features);
  const h = hiddenUnits(p.length);
  const g = activationFunction(activation);
  const b2 = p[4 * h];
  if (scratchX.length < nx * h) scratchX = new Float64Array(nx * h);
  const ax = scratchX;
  for (let i = 0; i < nx; i++) {
    const x = gridX(x0, x1, nx, i);
    for (let j = 0; j < h; j++) ax[i * h + j] = p[2 * j] * x;
  }
  const by = new Float64Array(h);
  for (let r = r0; r < r1; r++) {
    const y = gridY(y0, y1, ny, r);
    for (let j = 0; j < h; j++) by[j] = p[2 * j + 1] * y;
    const row = r * nx;
    for (let i = 0; i < nx; i++) {
      const base = i * h;
      let acc = 0;
      for (let j = 0; j < h; j++) {
        acc += p[3 * h + j] * g(ax[base + j] + by[j] + p[2 * h + j]);
      }
      out[row + i] = sigmoid(acc + b2);
    }
  }
  return out;
}

function featureGrid(p, activation, x0, x1, y0, y1, nx, ny, out, r0, r1, features) {
  const k = features.length;
  const h = hiddenUnits(p.length, k);
  const g = activationFunction(activation);
  const { b1, w2, b2 } = offsets(h, k);
  const fs = features.map(featureFunction);
  const kinds = features.map((name) => FORMULAS[name][1]);
  const columns = new Float64Array(nx * k); // the features that depend on x1 only, per column
  for (let i = 0; i < nx; i++) {
    const x = gridX(x0, x1, nx, i);
    for (let c = 0; c < k; c++) if (kinds[c] === "x") columns[i * k + c] = fs[c](x, 0);
  }
  const f = new Float64Array(k);
  for (let r = r0; r < r1; r++) {
    const y = gridY(y0, y1, ny, r);
    for (let c = 0; c < k; c++) if (kinds[c] === "y") f[c] = fs[c](0, y);
    for (let i = 0; i < nx; i++) {
      const x = gridX(x0, x1, nx, i);
      for (let c = 0; c < k; c++) {
        if (kinds[c] === "x") f[c] = columns[i * k + c];
        else if (kinds[c] === "xy") f[c] = fs[c](x, y);
      }
      let acc = 0;
      for (let j = 0; j < h; j++) acc += p[w2 + j] * g(hiddenInput(p, f, k, j, b1));
      out[r * nx + i] = sigmoid(acc + p[b2]);
    }
  }
  return out;
}

// Every hidden unit's activation A1[j] on an n x n grid: out[j * n * n + r * n + i].
export function activationGrids(
  p, activation, x0, x1, y0, y1, n, out = null, features = DEFAULT_FEATURES,
) {
  const k = features.length;
  const h = hiddenUnits(p.length, k);
  out ??= new Float64Array(h * n * n);
  const g = activationFunction(activation);
  const { b1 } = offsets(h, k);
  const fs = features.map(featureFunction);
  const f = new Float64Array(k);
  const nn = n * n;
  for (let r = 0; r < n; r++) {
    const y = gridY(y0, y1, n, r);
    for (let i = 0; i < n; i++) {
      const x = gridX(x0, x1, n, i);
      for (let c = 0; c < k; c++) f[c] = fs[c](x, y);
      for (let j = 0; j < h; j++) out[j * nn + r * n + i] = g(hiddenInput(p, f, k, j, b1));
    }
  }
  return out;
}

// One feature's values on an n x n grid (an input node's thumbnail): out[r * n + i].
export function featureValues(name, x0, x1, y0, y1, n, out = new Float64Array(n * n)) {
  const fn = featureFunction(name);
  for (let r = 0; r < n; r++) {
    const y = gridY(y0, y1, n, r);
    for (let i = 0; i < n; i++) out[r * n + i] = fn(gridX(x0, x1, n, i), y);
  }
  return out;
}

// Linear interpolation of two parameter vectors, for display between snapshots only.
export function lerpParams(a, b, u, out = new Float64Array(a.length)) {
  for (let k = 0; k < a.length; k++) out[k] = a[k] + (b[k] - a[k]) * u;
  return out;
}

// Segments of the level-`level` line of grid values v (nx x ny, rows top-down) by marching squares,
// in grid coordinates (cell centres at integer + 0.5): calls segment(xa, ya, xb, yb) for each piece.
export function contour(v, nx, ny, level, segment) {
  const edge = (a, b) => (level - a) / (b - a);
  for (let r = 0; r + 1 < ny; r++) {
    for (let i = 0; i + 1 < nx; i++) {
      const tl = v[r * nx + i];
      const tr = v[r * nx + i + 1];
      const bl = v[(r + 1) * nx + i];
      const br = v[(r + 1) * nx + i + 1];
      const c = (tl > level ? 8 : 0) | (tr > level ? 4 : 0) | (br > level ? 2 : 0) | (bl > level ? 1 : 0);
      if (c === 0 || c === 15) continue;
      const x = i + 0.5;
      const y = r + 0.5;
      const top = () => [x + edge(tl, tr), y];
      const right = () => [x + 1, y + edge(tr, br)];
      const bottom = () => [x + edge(bl, br), y + 1];
      const left = () => [x, y + edge(tl, bl)];
      const seg = (a, b) => segment(a[0], a[1], b[0], b[1]);
      switch (c) {
        case 1: case 14: seg(left(), bottom()); break;
        case 2: case 13: seg(bottom(), right()); break;
        case 3: case 12: seg(left(), right()); break;
        case 4: case 11: seg(top(), right()); break;
        case 6: case 9: seg(top(), bottom()); break;
        case 7: case 8: seg(left(), top()); break;
        case 5: seg(left(), top()); seg(bottom(), right()); break;
        case 10: seg(top(), right()); seg(left(), bottom()); break;
      }
    }
  }
}
