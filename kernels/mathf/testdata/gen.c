/* Prints glibc's expf, sinf, cosf and powf for a fixed set of inputs, one
   line each: input bits, result bits (hex). Regenerate with
     gcc -O2 gen.c -o gen -lm && ./gen > glibc.txt
   on an x86-64 machine with FMA (glibc then runs its FMA variants, as it did
   when llama2.c's golden outputs were made). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float from(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

int main(void) {
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 8000; i++) {
        s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
        uint32_t u = (uint32_t)((s * 0x2545F4914F6CDD1Dull) >> 32);
        float x = from(u);
        if (i % 3 == 1) x = from(u % 0x43000000u);           /* |x| < 128 */
        if (i % 3 == 2) x = (float)(u % 2000000u) / 1000.0f - 1000.0f; /* RoPE-like */
        if (x != x) continue;
        printf("e %08x %08x\n", bits(x), bits(expf(x)));
        printf("s %08x %08x\n", bits(x), bits(sinf(x)));
        printf("c %08x %08x\n", bits(x), bits(cosf(x)));
    }
    for (int hs = 2; hs <= 128; hs += 2)
        for (int hd = 0; hd < hs; hd += 2) {
            float y = hd / (float)hs;
            printf("p %08x %08x\n", bits(y), bits(powf(10000.0f, y)));
        }
    return 0;
}
