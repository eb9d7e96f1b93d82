// Per-block raw deflate with libdeflate on libuv's threadpool, for the parallel gzip writer
// (src/blob/parallel-gzip.ts). libdeflate compresses a whole buffer into a complete raw deflate
// stream: its last deflate block has BFINAL set and the stream ends at an arbitrary bit, padded with
// zeros to a byte. To chain such streams into ONE deflate stream (one gzip member), every block but
// the input's last is rewritten here: its deflate blocks are walked (Huffman codes decoded, nothing
// inflated) to find the bit where the final block's header starts and the bit where it ends; the
// BFINAL bit is cleared and an empty stored block (a sync-flush marker, 00 00 FF FF) is written at
// the end bit, so the piece ends on a byte boundary and the next piece starts a new deflate block.
// The CRC-32 of each input block is computed here too (libdeflate_crc32); crc32Combine joins them.
//
// Built only when binding.gyp found libdeflate's static library (OVERLAYDIFF_LIBDEFLATE); without
// it the addon has no deflateBlock and the writer uses node:zlib.
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "napi-common.h"

// ---- CRC-32 combination (gzip's CRC, reflected polynomial 0xEDB88320) ----
// crc(A ‖ B) = crc(A)·x^(8|B|) mod P ⊕ crc(B); polynomials are kept bit-reversed (bit 31 is x^0).

#define CRC_POLY 0xedb88320u

static uint32_t poly_mul(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t bit = 1u << 31; bit != 0; bit >>= 1) {
    if (a & bit) product ^= b;
    b = (b & 1) ? (b >> 1) ^ CRC_POLY : b >> 1; // b·x mod P
  }
  return product;
}

// x^(8·bytes) mod P by square-and-multiply over the bits of `bytes`.
static uint32_t x_pow_8n(uint64_t bytes) {
  uint32_t result = 1u << 31;       // x^0
  uint32_t square = 1u << 23;       // x^8: one byte
  while (bytes != 0) {
    if (bytes & 1) result = poly_mul(result, square);
    square = poly_mul(square, square);
    bytes >>= 1;
  }
  return result;
}

static uint32_t crc32_combine_bytes(uint32_t crc1, uint32_t crc2, uint64_t len2) {
  return poly_mul(x_pow_8n(len2), crc1) ^ crc2;
}

// crc32Combine(crc1: number, crc2: number, len2: number): number
static napi_value crc32_combine_js(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint32_t crc1 = 0, crc2 = 0;
  double len2 = 0;
  if (!get_args(env, info, 3, argv)) return NULL;
  if (napi_get_value_uint32(env, argv[0], &crc1) != napi_ok || napi_get_value_uint32(env, argv[1], &crc2) != napi_ok ||
      napi_get_value_double(env, argv[2], &len2) != napi_ok || !(len2 >= 0)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "crc32Combine(crc1, crc2, length2) takes unsigned numbers");
    return NULL;
  }
  napi_value out;
  napi_create_uint32(env, crc32_combine_bytes(crc1, crc2, (uint64_t)len2), &out);
  return out;
}

#ifdef OVERLAYDIFF_LIBDEFLATE
#include <libdeflate.h>

// ---- A deflate block walker: finds block boundaries without producing output ----

// Readable past the data: the output buffer carries this many zeroed bytes after the stream.
#define SLACK 16
#define FAST_BITS 10 // codes up to this long decode in one table lookup; longer ones bit by bit

typedef struct {
  const uint8_t *data;
  size_t size; // bytes of stream (SLACK more are readable)
  uint64_t pos; // bit position
} bit_reader;

static inline uint64_t peek_bits(const bit_reader *br) {
  const uint8_t *p = br->data + (br->pos >> 3);
  uint64_t word;
  memcpy(&word, p, sizeof word);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  word = __builtin_bswap64(word);
#endif
  return word >> (br->pos & 7);
}

// Takes `n` (<= 32) bits, LSB first; false when that runs past the stream.
static inline bool take(bit_reader *br, unsigned n, uint32_t *value) {
  if (br->pos + n > (uint64_t)br->size * 8) return false;
  *value = (uint32_t)(peek_bits(br) & ((1ull << n) - 1));
  br->pos += n;
  return true;
}

// A canonical Huffman code (RFC 1951 3.2.2): symbols sorted by code, the count of codes per length,
// and a lookup table for the short codes (entry = symbol << 4 | length; 0 = a longer code or none).
typedef struct {
  uint16_t fast[1 << FAST_BITS];
  uint16_t count[16];
  uint16_t sorted[288];
} huffman_code;

// Fails on an over-subscribed set; incomplete sets are allowed (their unused patterns fail to decode).
static bool build_code(huffman_code *h, const uint8_t *lengths, unsigned n) {
  memset(h->count, 0, sizeof h->count);
  for (unsigned s = 0; s < n; s++) h->count[lengths[s]]++;
  h->count[0] = 0;
  uint16_t offset[16];
  int left = 1;
  offset[1] = 0;
  for (unsigned len = 1; len <= 15; len++) {
    left = left * 2 - (int)h->count[len];
    if (left < 0) return false;
    if (len < 15) offset[len + 1] = (uint16_t)(offset[len] + h->count[len]);
  }
  for (unsigned s = 0; s < n; s++)
    if (lengths[s] != 0) h->sorted[offset[lengths[s]]++] = (uint16_t)s;
  memset(h->fast, 0, sizeof h->fast);
  unsigned code = 0, index = 0;
  for (unsigned len = 1; len <= FAST_BITS; len++) {
    for (unsigned i = 0; i < h->count[len]; i++, code++, index++) {
      unsigned reversed = 0;
      for (unsigned b = 0; b < len; b++) reversed |= ((code >> b) & 1) << (len - 1 - b);
      for (unsigned e = reversed; e < (1u << FAST_BITS); e += 1u << len) h->fast[e] = (uint16_t)(h->sorted[index] << 4 | len);
    }
    code <<= 1;
  }
  return true;
}

// The next symbol: one lookup for a short code, else the canonical walk one bit at a time.
static inline bool decode(bit_reader *br, const huffman_code *h, unsigned *symbol) {
  uint64_t bits = peek_bits(br);
  uint16_t e = h->fast[bits & ((1u << FAST_BITS) - 1)];
  unsigned len = e & 15;
  if (len == 0) {
    int code = 0, first = 0, index = 0;
    for (len = 1; len <= 15; len++) {
      code |= (int)((bits >> (len - 1)) & 1);
      int count = h->count[len];
      if (code - count < first) {
        e = (uint16_t)(h->sorted[index + (code - first)] << 4);
        break;
      }
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    if (len > 15) return false;
  }
  if (br->pos + len > (uint64_t)br->size * 8) return false;
  br->pos += len;
  *symbol = e >> 4;
  return true;
}

static const uint8_t LENGTH_EXTRA[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint8_t DIST_EXTRA[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
static const uint8_t CODE_LENGTH_ORDER[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

typedef struct {
  huffman_code litlen, dist, lengths;
} walk_tables;

// Skips one Huffman-coded block's symbols up to its end-of-block code.
static bool skip_symbols(bit_reader *br, const walk_tables *t) {
  for (;;) {
    unsigned sym, dsym;
    uint32_t extra;
    if (!decode(br, &t->litlen, &sym)) return false;
    if (sym < 256) continue;
    if (sym == 256) return true;
    sym -= 257;
    if (sym >= 29 || !take(br, LENGTH_EXTRA[sym], &extra)) return false;
    if (!decode(br, &t->dist, &dsym) || dsym >= 30 || !take(br, DIST_EXTRA[dsym], &extra)) return false;
  }
}

static bool read_dynamic_header(bit_reader *br, walk_tables *t) {
  uint32_t hlit, hdist, hclen, v;
  if (!take(br, 5, &hlit) || !take(br, 5, &hdist) || !take(br, 4, &hclen)) return false;
  hlit += 257;
  hdist += 1;
  hclen += 4;
  uint8_t cl_lengths[19] = {0};
  for (unsigned i = 0; i < hclen; i++) {
    if (!take(br, 3, &v)) return false;
    cl_lengths[CODE_LENGTH_ORDER[i]] = (uint8_t)v;
  }
  if (!build_code(&t->lengths, cl_lengths, 19)) return false;
  uint8_t lengths[288 + 32] = {0};
  unsigned n = 0;
  while (n < hlit + hdist) {
    unsigned sym;
    if (!decode(br, &t->lengths, &sym)) return false;
    if (sym < 16) {
      lengths[n++] = (uint8_t)sym;
      continue;
    }
    unsigned repeat;
    uint8_t value = 0;
    if (sym == 16) {
      if (n == 0 || !take(br, 2, &v)) return false;
      value = lengths[n - 1];
      repeat = 3 + v;
    } else if (sym == 17) {
      if (!take(br, 3, &v)) return false;
      repeat = 3 + v;
    } else {
      if (!take(br, 7, &v)) return false;
      repeat = 11 + v;
    }
    if (n + repeat > hlit + hdist) return false;
    while (repeat-- > 0) lengths[n++] = value;
  }
  return build_code(&t->litlen, lengths, hlit) && build_code(&t->dist, lengths + hlit, hdist);
}

static walk_tables fixed_tables;
static bool fixed_ready;

static void build_fixed_tables(void) {
  uint8_t lengths[288];
  for (int i = 0; i < 144; i++) lengths[i] = 8;
  for (int i = 144; i < 256; i++) lengths[i] = 9;
  for (int i = 256; i < 280; i++) lengths[i] = 7;
  for (int i = 280; i < 288; i++) lengths[i] = 8;
  build_code(&fixed_tables.litlen, lengths, 288);
  uint8_t dist[30];
  for (int i = 0; i < 30; i++) dist[i] = 5;
  build_code(&fixed_tables.dist, dist, 30);
  fixed_ready = true;
}

// Walks a complete raw deflate stream: `final_header` is the bit where its BFINAL block starts,
// `end` the bit after that block. False if the stream is malformed or ends elsewhere than in its
// last byte.
static bool walk_stream(const uint8_t *data, size_t size, walk_tables *t, uint64_t *final_header, uint64_t *end) {
  bit_reader br = {data, size, 0};
  for (;;) {
    uint64_t header = br.pos;
    uint32_t final, type, v;
    if (!take(&br, 1, &final) || !take(&br, 2, &type)) return false;
    if (type == 0) {
      br.pos = (br.pos + 7) & ~(uint64_t)7;
      uint32_t len, nlen;
      if (!take(&br, 16, &len) || !take(&br, 16, &nlen) || (len ^ 0xffff) != nlen) return false;
      if (br.pos + (uint64_t)len * 8 > (uint64_t)size * 8) return false;
      br.pos += (uint64_t)len * 8;
    } else if (type == 1) {
      if (!skip_symbols(&br, &fixed_tables)) return false;
    } else if (type == 2) {
      if (!read_dynamic_header(&br, t) || !skip_symbols(&br, t)) return false;
    } else {
      return false;
    }
    (void)v;
    if (final) {
      *final_header = header;
      *end = br.pos;
      return (br.pos + 7) / 8 == size;
    }
  }
}

// ---- The async job ----

typedef struct {
  napi_async_work work;
  napi_ref input_ref;
  napi_ref callback_ref;
  const uint8_t *input;
  size_t input_size;
  int level;
  bool last;
  uint8_t *output;
  size_t output_size;
  uint32_t crc;
  const char *error;
} deflate_job;

// One compressor per threadpool thread and level, kept for the thread's life (libuv's threads
// live as long as the process); allocating one per block costs a large memset each time.
static __thread struct libdeflate_compressor *thread_compressor;
static __thread int thread_level;
static __thread walk_tables *thread_tables;

static void deflate_execute(napi_env env, void *data) {
  (void)env;
  deflate_job *job = data;
  if (thread_compressor == NULL || thread_level != job->level) {
    if (thread_compressor != NULL) libdeflate_free_compressor(thread_compressor);
    thread_compressor = libdeflate_alloc_compressor(job->level);
    thread_level = job->level;
    if (thread_compressor == NULL) {
      job->error = "libdeflate_alloc_compressor failed";
      return;
    }
  }
  if (thread_tables == NULL) thread_tables = malloc(sizeof *thread_tables);
  if (thread_tables == NULL) {
    job->error = "out of memory";
    return;
  }
  job->crc = libdeflate_crc32(0, job->input, job->input_size);
  size_t bound = libdeflate_deflate_compress_bound(thread_compressor, job->input_size);
  // Room for the stored-block marker (at most 1 + 4 bytes) and the walker's over-read.
  job->output = malloc(bound + 5 + SLACK);
  if (job->output == NULL) {
    job->error = "out of memory";
    return;
  }
  size_t n = libdeflate_deflate_compress(thread_compressor, job->input, job->input_size, job->output, bound);
  if (n == 0) {
    job->error = "libdeflate_deflate_compress: output larger than its bound";
    return;
  }
  memset(job->output + n, 0, 5 + SLACK);
  if (job->last) {
    job->output_size = n;
    return;
  }
  uint64_t final_header, end;
  if (!walk_stream(job->output, n, thread_tables, &final_header, &end)) {
    job->error = "libdeflate produced a deflate stream the block walker could not follow";
    return;
  }
  uint8_t *out = job->output;
  out[final_header >> 3] &= (uint8_t)~(1u << (final_header & 7)); // BFINAL = 0
  if (end & 7) out[end >> 3] &= (uint8_t)((1u << (end & 7)) - 1); // padding bits are zero
  // An empty stored block: BFINAL 0, BTYPE 00 (three zero bits), zeros to the byte, LEN 0, NLEN ~0.
  size_t at = (size_t)((end + 3 + 7) >> 3);
  if (at > n) out[n] = 0;
  out[at] = 0x00;
  out[at + 1] = 0x00;
  out[at + 2] = 0xff;
  out[at + 3] = 0xff;
  job->output_size = at + 4;
}

static void free_output(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static void deflate_complete(napi_env env, napi_status status, void *data) {
  deflate_job *job = data;
  napi_value callback, global, argv[3];
  napi_get_reference_value(env, job->callback_ref, &callback);
  napi_get_global(env, &global);
  if (status != napi_ok || job->error != NULL) {
    napi_value message;
    napi_create_string_utf8(env, job->error != NULL ? job->error : "deflate job cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &argv[0]);
    free(job->output);
    napi_get_undefined(env, &argv[1]);
    napi_get_undefined(env, &argv[2]);
  } else {
    napi_get_null(env, &argv[0]);
    void *unused;
    // Handed to JS without a copy; freed when the Buffer is collected.
    if (napi_create_external_buffer(env, job->output_size, job->output, free_output, NULL, &argv[1]) != napi_ok) {
      napi_value copy;
      napi_create_buffer_copy(env, job->output_size, job->output, &unused, &copy);
      free(job->output);
      argv[1] = copy;
    }
    napi_create_uint32(env, job->crc, &argv[2]);
  }
  napi_delete_reference(env, job->input_ref);
  napi_delete_reference(env, job->callback_ref);
  napi_delete_async_work(env, job->work);
  free(job);
  napi_call_function(env, global, callback, 3, argv, NULL);
}

// deflateBlock(input: Buffer, level: 1..12, last: boolean, callback(err, output: Buffer, crc32: number)).
// `input` must not change until the callback runs. `output` is raw deflate: with `last`, a complete
// stream; without, blocks that continue into the next piece, ending byte-aligned after a sync marker.
static napi_value deflate_block(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  void *input;
  size_t input_size;
  int32_t level;
  bool last = false;
  napi_valuetype callback_type = napi_undefined;
  if (!get_args(env, info, 4, argv) || !get_buffer(env, argv[0], &input, &input_size) || !get_int(env, argv[1], &level)) return NULL;
  napi_typeof(env, argv[3], &callback_type);
  if (level < 1 || level > 12 || napi_get_value_bool(env, argv[2], &last) != napi_ok || callback_type != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "deflateBlock(input: Buffer, level: 1-12, last: boolean, callback)");
    return NULL;
  }
  deflate_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  job->input = input;
  job->input_size = input_size;
  job->level = level;
  job->last = last;
  napi_create_reference(env, argv[0], 1, &job->input_ref);
  napi_create_reference(env, argv[3], 1, &job->callback_ref);
  napi_value name;
  napi_create_string_utf8(env, "overlaydiff:deflateBlock", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, deflate_execute, deflate_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return NULL;
}
#endif

napi_value deflate_init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "crc32Combine", NAPI_AUTO_LENGTH, crc32_combine_js, NULL, &fn);
  napi_set_named_property(env, exports, "crc32Combine", fn);
#ifdef OVERLAYDIFF_LIBDEFLATE
  if (!fixed_ready) build_fixed_tables();
  napi_create_function(env, "deflateBlock", NAPI_AUTO_LENGTH, deflate_block, NULL, &fn);
  napi_set_named_property(env, exports, "deflateBlock", fn);
  napi_value version;
  napi_create_string_utf8(env, LIBDEFLATE_VERSION_STRING, NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "libdeflateVersion", version);
#endif
  return exports;
}
