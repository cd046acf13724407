/*
 * Test tooling for QuantizerTest, not part of the application: quantizes rows of float32 with
 * ggml's reference quantizers and writes the blocks. Build it against ggml's own
 * src/ggml-quants.c (see README.md); it contains no ggml code.
 *
 * Usage: reference_quantize TYPE COLS < rows.f32 > rows.blocks   (TYPE: q8_0, q4_0, q4_K)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ggml-quants.c's row quantizers; the block pointer is declared void * to need no ggml header. */
void quantize_row_q8_0_ref(const float * x, void * y, int64_t k);
void quantize_row_q4_0_ref(const float * x, void * y, int64_t k);
void quantize_row_q4_K_ref(const float * x, void * y, int64_t k);

/* Symbols ggml-quants.c refers to from ggml.c; none is called by the three quantizers above. */
void ggml_abort(const char * file, int line, const char * fmt, ...) {
    fprintf(stderr, "ggml_abort at %s:%d (%s)\n", file, line, fmt);
    abort();
}
size_t ggml_row_size(int type, int64_t ne) { (void) type; (void) ne; abort(); }
const char * ggml_type_name(int type) { (void) type; abort(); }
size_t ggml_type_size(int type) { (void) type; abort(); }

int main(int argc, char ** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s q8_0|q4_0|q4_K COLS < rows.f32 > rows.blocks\n", argv[0]);
        return 2;
    }
    long cols = atol(argv[2]);
    void (*quantize)(const float *, void *, int64_t);
    size_t block_size, block_bytes;
    if (strcmp(argv[1], "q8_0") == 0) {
        quantize = quantize_row_q8_0_ref; block_size = 32; block_bytes = 34;
    } else if (strcmp(argv[1], "q4_0") == 0) {
        quantize = quantize_row_q4_0_ref; block_size = 32; block_bytes = 18;
    } else if (strcmp(argv[1], "q4_K") == 0) {
        quantize = quantize_row_q4_K_ref; block_size = 256; block_bytes = 144;
    } else {
        fprintf(stderr, "unknown type %s\n", argv[1]);
        return 2;
    }
    if (cols <= 0 || cols % block_size != 0) {
        fprintf(stderr, "COLS must be a positive multiple of %zu\n", block_size);
        return 2;
    }
    size_t row_bytes = cols / block_size * block_bytes;
    float * row = malloc(cols * sizeof(float));
    void * blocks = calloc(1, row_bytes);
    while (fread(row, sizeof(float), cols, stdin) == (size_t) cols) {
        memset(blocks, 0, row_bytes);
        quantize(row, blocks, cols);
        fwrite(blocks, 1, row_bytes, stdout);
    }
    free(row);
    free(blocks);
    return 0;
}
