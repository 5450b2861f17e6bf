// berth's native helpers for pulls that resume without reading back what they kept:
//
//  - Sha256: OpenSSL's SHA-256 (the copy inside node, SHA-NI where the CPU has it) whose running
//    state can be saved and restored, so that a digest continues where an interrupted one stopped.
//  - Gunzip: gzip decompression (zlib inside node: raw inflate, with gzip's header, CRC-32 and
//    length checked here, several members in a row) that can stop at a deflate block boundary and
//    save its state there: bit position, the 32 KiB window and the member's CRC. A new Gunzip made
//    from that state continues the stream from that byte of the input (zlib's zran.c technique).
//
// Both are Node-API classes (ABI-stable, loadable in worker threads); the symbols come from the
// node binary itself, so nothing is linked. src/util/resumable.ts loads this and says when it is
// missing.
#include <node_api.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <new>

namespace {

#define CHECK_NAPI(env, call)                                 \
  do {                                                        \
    if ((call) != napi_ok) {                                  \
      napi_throw_error((env), nullptr, "node-api call failed"); \
      return nullptr;                                         \
    }                                                         \
  } while (0)

napi_value Undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value Throw(napi_env env, const char* code, const char* msg) {
  napi_throw_error(env, code, msg);
  return nullptr;
}

// The bytes of a Buffer / Uint8Array argument.
bool Bytes(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) return false;
  napi_typedarray_type type;
  void* p = nullptr;
  napi_value ab;
  size_t off = 0;
  if (napi_get_typedarray_info(env, v, &type, len, &p, &ab, &off) != napi_ok || type != napi_uint8_array) return false;
  *data = static_cast<uint8_t*>(p);
  return true;
}

napi_value NewBuffer(napi_env env, const void* data, size_t len) {
  napi_value out;
  void* copy = nullptr;
  if (napi_create_buffer_copy(env, len, data, &copy, &out) != napi_ok) return nullptr;
  return out;
}

void PutU32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void PutU64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint32_t GetU32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
uint64_t GetU64(const uint8_t* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }

template <class T>
void Finalize(napi_env, void* data, void*) {
  delete static_cast<T*>(data);
}

// The native object behind `this`, and the call's arguments.
template <class T>
T* Unwrap(napi_env env, napi_callback_info info, size_t* argc, napi_value* argv) {
  napi_value self;
  void* data = nullptr;
  if (napi_get_cb_info(env, info, argc, argv, &self, nullptr) != napi_ok) return nullptr;
  if (napi_unwrap(env, self, &data) != napi_ok) return nullptr;
  return static_cast<T*>(data);
}

// Ties `obj` to the new JS object `self` (freed with it); on failure frees it and throws.
template <class T>
napi_value Wrap(napi_env env, napi_value self, T* obj) {
  if (napi_wrap(env, self, obj, Finalize<T>, nullptr, nullptr) != napi_ok) {
    delete obj;
    return Throw(env, nullptr, "cannot wrap the native state");
  }
  return self;
}

// A constructor's optional first argument (a saved state): false when absent or undefined.
bool SavedArg(napi_env env, size_t argc, napi_value* argv) {
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  return argc >= 1 && t != napi_undefined;
}

// ---------------------------------------------------------------------------------------------
// Sha256

constexpr uint32_t SHA_MAGIC = 0x53484131;  // "SHA1": version 1 of the saved form
constexpr size_t SHA_SAVED = 4 + sizeof(SHA256_CTX);

struct Sha {
  SHA256_CTX ctx;
};

// new Sha256(saved?)
napi_value ShaNew(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_value self;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, &self, nullptr));
  Sha* s = new (std::nothrow) Sha();
  if (!s) return Throw(env, "ENOMEM", "out of memory");
  SHA256_Init(&s->ctx);
  if (SavedArg(env, argc, argv)) {
    uint8_t* p;
    size_t n;
    if (!Bytes(env, argv[0], &p, &n) || n != SHA_SAVED || GetU32(p) != SHA_MAGIC) {
      delete s;
      return Throw(env, "ERR_INVALID_STATE", "not a saved sha256 state");
    }
    std::memcpy(&s->ctx, p + 4, sizeof(SHA256_CTX));
    if (s->ctx.num >= SHA256_CBLOCK || s->ctx.md_len != SHA256_DIGEST_LENGTH) {
      delete s;
      return Throw(env, "ERR_INVALID_STATE", "not a saved sha256 state");
    }
  }
  return Wrap(env, self, s);
}

napi_value ShaUpdate(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Sha* s = Unwrap<Sha>(env, info, &argc, argv);
  uint8_t* p;
  size_t n;
  if (!s || argc < 1 || !Bytes(env, argv[0], &p, &n)) return Throw(env, "ERR_INVALID_ARG_TYPE", "update takes a Uint8Array");
  SHA256_Update(&s->ctx, p, n);
  return Undefined(env);
}

// The digest of what was hashed so far (32 bytes); hashing can go on.
napi_value ShaDigest(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Sha* s = Unwrap<Sha>(env, info, &argc, nullptr);
  if (!s) return Throw(env, nullptr, "not a Sha256");
  SHA256_CTX copy = s->ctx;
  uint8_t md[SHA256_DIGEST_LENGTH];
  SHA256_Final(md, &copy);
  return NewBuffer(env, md, sizeof md);
}

napi_value ShaSave(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Sha* s = Unwrap<Sha>(env, info, &argc, nullptr);
  if (!s) return Throw(env, nullptr, "not a Sha256");
  uint8_t out[SHA_SAVED];
  PutU32(out, SHA_MAGIC);
  std::memcpy(out + 4, &s->ctx, sizeof(SHA256_CTX));
  return NewBuffer(env, out, sizeof out);
}

// ---------------------------------------------------------------------------------------------
// Gunzip

constexpr uint32_t GZ_MAGIC = 0x475a4b31;  // "GZK1": version 1 of the saved form
constexpr size_t WINDOW = 32768;
// magic, inPos, outPos, crc, memberOut, bits, lastByte, windowLen
constexpr size_t GZ_HEAD = 4 + 8 + 8 + 4 + 8 + 1 + 1 + 2;

enum Phase { HEADER, DEFLATE, TRAILER, BETWEEN, DONE };

// Results of write(): what stopped it.
enum Status { NEED_INPUT = 0, OUTPUT_FULL = 1, BOUNDARY = 2 };

struct Gz {
  z_stream strm;
  bool inited = false;
  Phase phase = HEADER;
  // Gzip header parsing: the bytes of the fixed part and the state of the optional fields.
  uint8_t head[10];
  size_t headHave = 0;
  int headStep = 0;  // 0 fixed, 1 extra len, 2 extra data, 3 name, 4 comment, 5 hcrc, 6 done
  uint32_t extraLeft = 0;
  uint8_t lenBytes[2];
  size_t lenHave = 0;
  size_t hcrcLeft = 0;
  uint8_t trailer[8];
  size_t trailerHave = 0;
  uint32_t crc = 0;
  uint64_t memberOut = 0;
  uint64_t inPos = 0;   // compressed bytes consumed, from the start of the blob
  uint64_t outPos = 0;  // bytes produced, from the start of the uncompressed stream
  uint8_t lastByte = 0;
  // The latest boundary's saved form (valid after write() returned BOUNDARY).
  uint8_t* saved = nullptr;
  size_t savedLen = 0;

  ~Gz() {
    if (inited) inflateEnd(&strm);
    delete[] saved;
  }
};

bool GzInflateInit(Gz* g) {
  std::memset(&g->strm, 0, sizeof g->strm);
  if (inflateInit2(&g->strm, -15) != Z_OK) return false;
  g->inited = true;
  return true;
}

// new Gunzip(saved?)
napi_value GzNew(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_value self;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, &self, nullptr));
  Gz* g = new (std::nothrow) Gz();
  if (!g || !GzInflateInit(g)) {
    delete g;
    return Throw(env, "ENOMEM", "cannot start zlib");
  }
  if (SavedArg(env, argc, argv)) {
    uint8_t* p;
    size_t n;
    bool ok = Bytes(env, argv[0], &p, &n) && n >= GZ_HEAD && GetU32(p) == GZ_MAGIC;
    size_t wlen = ok ? (size_t(p[34]) | size_t(p[35]) << 8) : 0;
    uint8_t bits = ok ? p[32] : 0;
    ok = ok && wlen <= WINDOW && n == GZ_HEAD + wlen && bits < 8;
    if (ok) {
      g->inPos = GetU64(p + 4);
      g->outPos = GetU64(p + 12);
      g->crc = GetU32(p + 20);
      g->memberOut = GetU64(p + 24);
      g->lastByte = p[33];
      if (bits > 0) ok = inflatePrime(&g->strm, bits, g->lastByte >> (8 - bits)) == Z_OK;
      if (ok && wlen > 0) ok = inflateSetDictionary(&g->strm, p + GZ_HEAD, static_cast<uInt>(wlen)) == Z_OK;
      g->phase = DEFLATE;
    }
    if (!ok) {
      delete g;
      return Throw(env, "ERR_INVALID_STATE", "not a saved gunzip state");
    }
  }
  return Wrap(env, self, g);
}

// Consumes gzip header bytes; returns how many, or -1 on a bad header.
long ParseHeader(Gz* g, const uint8_t* in, size_t n) {
  size_t i = 0;
  while (i < n && g->headStep != 6) {
    uint8_t c = in[i];
    uint8_t flg = g->head[3];
    switch (g->headStep) {
      case 0:
        g->head[g->headHave++] = c;
        i++;
        if (g->headHave == 1 && c != 0x1f) return -1;
        if (g->headHave == 2 && c != 0x8b) return -1;
        if (g->headHave == 3 && c != 8) return -1;
        if (g->headHave == 4 && (c & 0xe0) != 0) return -1;
        if (g->headHave == 10) {
          g->hcrcLeft = (g->head[3] & 0x02) ? 2 : 0;
          g->headStep = (g->head[3] & 0x04) ? 1 : 3;
        }
        break;
      case 1:
        g->lenBytes[g->lenHave++] = c;
        i++;
        if (g->lenHave == 2) {
          g->extraLeft = g->lenBytes[0] | (uint32_t(g->lenBytes[1]) << 8);
          g->headStep = 2;
        }
        break;
      case 2: {
        size_t take = n - i < g->extraLeft ? n - i : g->extraLeft;
        i += take;
        g->extraLeft -= static_cast<uint32_t>(take);
        if (g->extraLeft == 0) g->headStep = 3;
        break;
      }
      case 3:
        if (!(flg & 0x08)) { g->headStep = 4; break; }
        i++;
        if (c == 0) g->head[3] &= ~0x08, g->headStep = 4;
        break;
      case 4:
        if (!(flg & 0x10)) { g->headStep = 5; break; }
        i++;
        if (c == 0) g->head[3] &= ~0x10, g->headStep = 5;
        break;
      case 5:
        if (g->hcrcLeft == 0) { g->headStep = 6; break; }
        i++;
        g->hcrcLeft--;
        break;
    }
    if (g->headStep == 5 && g->hcrcLeft == 0) g->headStep = 6;
  }
  return static_cast<long>(i);
}

void StartMember(Gz* g) {
  g->phase = HEADER;
  g->headHave = 0;
  g->headStep = 0;
  g->lenHave = 0;
  g->trailerHave = 0;
  g->crc = 0;
  g->memberOut = 0;
}

bool SaveBoundary(Gz* g) {
  uint8_t window[WINDOW];
  uInt wlen = 0;
  if (inflateGetDictionary(&g->strm, window, &wlen) != Z_OK) return false;
  delete[] g->saved;
  g->savedLen = GZ_HEAD + wlen;
  g->saved = new (std::nothrow) uint8_t[g->savedLen];
  if (!g->saved) return false;
  uint8_t* p = g->saved;
  PutU32(p, GZ_MAGIC);
  PutU64(p + 4, g->inPos);
  PutU64(p + 12, g->outPos);
  PutU32(p + 20, g->crc);
  PutU64(p + 24, g->memberOut);
  p[32] = static_cast<uint8_t>(g->strm.data_type & 7);
  p[33] = g->lastByte;
  p[34] = static_cast<uint8_t>(wlen & 0xff);
  p[35] = static_cast<uint8_t>(wlen >> 8);
  std::memcpy(p + GZ_HEAD, window, wlen);
  return true;
}

// write(input, inOff, output, outOff, wantBoundary, result: Float64Array(2)) -> status
// Decompresses from input[inOff..] into output[outOff..] until the input is used up, the output is
// full, or (wantBoundary) a deflate block boundary is reached, whose saved form saved() returns.
// result receives [input bytes consumed, output bytes produced].
napi_value GzWrite(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  Gz* g = Unwrap<Gz>(env, info, &argc, argv);
  if (!g || argc < 6) return Throw(env, "ERR_INVALID_ARG_TYPE", "write(input, inOff, output, outOff, wantBoundary, result)");
  uint8_t *in, *out;
  size_t inLen, outLen;
  int64_t inOff64, outOff64;
  bool want = false;
  void* resData = nullptr;
  size_t resLen = 0;
  napi_typedarray_type resType;
  napi_value resAb;
  size_t resOff;
  if (!Bytes(env, argv[0], &in, &inLen) || !Bytes(env, argv[2], &out, &outLen) ||
      napi_get_value_int64(env, argv[1], &inOff64) != napi_ok || napi_get_value_int64(env, argv[3], &outOff64) != napi_ok ||
      napi_get_value_bool(env, argv[4], &want) != napi_ok ||
      napi_get_typedarray_info(env, argv[5], &resType, &resLen, &resData, &resAb, &resOff) != napi_ok || resType != napi_float64_array || resLen < 2 ||
      inOff64 < 0 || outOff64 < 0 || size_t(inOff64) > inLen || size_t(outOff64) > outLen)
    return Throw(env, "ERR_INVALID_ARG_TYPE", "write(input, inOff, output, outOff, wantBoundary, result)");
  const uint8_t* ip = in + inOff64;
  size_t il = inLen - size_t(inOff64);
  uint8_t* op = out + outOff64;
  size_t ol = outLen - size_t(outOff64);
  size_t usedIn = 0, usedOut = 0;
  Status status = NEED_INPUT;
  for (;;) {
    if (g->phase == DONE) {  // trailing zeros after the last member are ignored, as node's gunzip does
      usedIn = il;
      break;
    }
    // Inflate may hold output back for a full buffer even when the input is used up.
    if (g->phase != DEFLATE && usedIn == il) break;
    if (g->phase == BETWEEN) {
      if (ip[usedIn] == 0) {
        g->phase = DONE;
        continue;
      }
      StartMember(g);
      if (inflateReset(&g->strm) != Z_OK) return Throw(env, "Z_STREAM_ERROR", "zlib reset failed");
    }
    if (g->phase == HEADER) {
      long k = ParseHeader(g, ip + usedIn, il - usedIn);
      if (k < 0) return Throw(env, "Z_DATA_ERROR", "incorrect header check");
      usedIn += size_t(k);
      g->inPos += uint64_t(k);
      if (g->headStep == 6) g->phase = DEFLATE;
      continue;
    }
    if (g->phase == TRAILER) {
      while (usedIn < il && g->trailerHave < 8) g->trailer[g->trailerHave++] = ip[usedIn++], g->inPos++;
      if (g->trailerHave == 8) {
        if (GetU32(g->trailer) != g->crc) return Throw(env, "Z_DATA_ERROR", "incorrect data check");
        if (GetU32(g->trailer + 4) != uint32_t(g->memberOut)) return Throw(env, "Z_DATA_ERROR", "incorrect length check");
        g->phase = BETWEEN;
      }
      continue;
    }
    // DEFLATE
    if (usedOut == ol) {
      status = OUTPUT_FULL;
      break;
    }
    g->strm.next_in = const_cast<Bytef*>(ip + usedIn);
    g->strm.avail_in = static_cast<uInt>(il - usedIn > 0x40000000 ? 0x40000000 : il - usedIn);
    g->strm.next_out = op + usedOut;
    g->strm.avail_out = static_cast<uInt>(ol - usedOut > 0x40000000 ? 0x40000000 : ol - usedOut);
    uInt availIn = g->strm.avail_in, availOut = g->strm.avail_out;
    int r = inflate(&g->strm, want ? Z_BLOCK : Z_NO_FLUSH);
    size_t ci = availIn - g->strm.avail_in, co = availOut - g->strm.avail_out;
    if (co > 0) g->crc = static_cast<uint32_t>(crc32(g->crc, op + usedOut, static_cast<uInt>(co)));
    if (ci > 0) g->lastByte = ip[usedIn + ci - 1];
    usedIn += ci;
    usedOut += co;
    g->inPos += ci;
    g->outPos += co;
    g->memberOut += co;
    if (r == Z_STREAM_END) {
      g->phase = TRAILER;
      continue;
    }
    if (r == Z_DATA_ERROR || r == Z_NEED_DICT) return Throw(env, "Z_DATA_ERROR", g->strm.msg ? g->strm.msg : "invalid deflate data");
    if (r == Z_MEM_ERROR) return Throw(env, "Z_MEM_ERROR", "out of memory");
    if (r != Z_OK && r != Z_BUF_ERROR) return Throw(env, "Z_STREAM_ERROR", g->strm.msg ? g->strm.msg : "zlib failed");
    if (want && (g->strm.data_type & 128) && !(g->strm.data_type & 64)) {
      if (!SaveBoundary(g)) return Throw(env, "ENOMEM", "cannot save the gunzip state");
      status = BOUNDARY;
      break;
    }
    if (ci == 0 && co == 0) break;  // zlib wants more input than there is
  }
  double* res = static_cast<double*>(resData);
  res[0] = double(usedIn);
  res[1] = double(usedOut);
  napi_value s;
  CHECK_NAPI(env, napi_create_int32(env, status, &s));
  return s;
}

// saved(): the state at the boundary the last write() stopped at, for new Gunzip(saved).
napi_value GzSaved(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Gz* g = Unwrap<Gz>(env, info, &argc, nullptr);
  if (!g || !g->saved) return Throw(env, "ERR_INVALID_STATE", "no boundary to save");
  return NewBuffer(env, g->saved, g->savedLen);
}

// finish(): throws unless the input ended at the end of a member (or in trailing zeros).
napi_value GzFinish(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Gz* g = Unwrap<Gz>(env, info, &argc, nullptr);
  if (!g) return Throw(env, nullptr, "not a Gunzip");
  if (g->phase != BETWEEN && g->phase != DONE) return Throw(env, "Z_BUF_ERROR", "unexpected end of file");
  return Undefined(env);
}

// position(): [compressed bytes consumed, bytes produced] from the start of the stream.
napi_value GzPosition(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Gz* g = Unwrap<Gz>(env, info, &argc, nullptr);
  if (!g) return Throw(env, nullptr, "not a Gunzip");
  napi_value arr, a, b;
  CHECK_NAPI(env, napi_create_array_with_length(env, 2, &arr));
  CHECK_NAPI(env, napi_create_double(env, double(g->inPos), &a));
  CHECK_NAPI(env, napi_create_double(env, double(g->outPos), &b));
  napi_set_element(env, arr, 0, a);
  napi_set_element(env, arr, 1, b);
  return arr;
}

napi_value DefineClass(napi_env env, const char* name, napi_callback ctor, const napi_property_descriptor* props, size_t n) {
  napi_value cls;
  if (napi_define_class(env, name, NAPI_AUTO_LENGTH, ctor, nullptr, n, props, &cls) != napi_ok) return nullptr;
  return cls;
}

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor sha[] = {
      {"update", nullptr, ShaUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"digest", nullptr, ShaDigest, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"save", nullptr, ShaSave, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  const napi_property_descriptor gz[] = {
      {"write", nullptr, GzWrite, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"saved", nullptr, GzSaved, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"finish", nullptr, GzFinish, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"position", nullptr, GzPosition, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_value shaCls = DefineClass(env, "Sha256", ShaNew, sha, sizeof sha / sizeof *sha);
  napi_value gzCls = DefineClass(env, "Gunzip", GzNew, gz, sizeof gz / sizeof *gz);
  if (!shaCls || !gzCls) return nullptr;
  napi_set_named_property(env, exports, "Sha256", shaCls);
  napi_set_named_property(env, exports, "Gunzip", gzCls);
  return exports;
}
