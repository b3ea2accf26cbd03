/* The standard workload (issue 7) as a compiled SIMD loop: the practical ceiling.
 *
 * 2-H-1 sigmoid networks, MSE, full batch on XOR, lr 0.5, weights uniform(-1,1),
 * biases 0. Networks are the vectorised (innermost) axis; each block of BLOCK
 * networks runs all its epochs with its parameters in L1. -ffast-math lets gcc
 * call glibc's vectorised exp (libmvec). Prints network-epochs per second.
 *
 *   gcc -O3 -march=native -ffast-math -fopenmp -DH=2 ceiling.c -lm -o ceiling2
 *   ./ceiling2 NETWORKS EPOCHS THREADS
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef H
#define H 2
#endif
#define BLOCK 64
#define P 4

static const double X[P][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
static const double T[P] = {0, 1, 1, 0};

static void train_block(double *restrict w1, double *restrict w2, int epochs) {
    /* w1: [3][H][BLOCK] (inputs then bias), w2: [H + 1][BLOCK] (bias last) */
    const double scale = 0.5 * 2.0 / P;
    for (int e = 0; e < epochs; e++) {
        double g1[3][H][BLOCK] = {{{0}}}, g2[H + 1][BLOCK] = {{0}};
        for (int p = 0; p < P; p++) {
#pragma omp simd
            for (int n = 0; n < BLOCK; n++) {
                double a[H], z2 = w2[H * BLOCK + n];
                for (int j = 0; j < H; j++) {
                    double z = X[p][0] * w1[(0 * H + j) * BLOCK + n] +
                               X[p][1] * w1[(1 * H + j) * BLOCK + n] + w1[(2 * H + j) * BLOCK + n];
                    a[j] = 1.0 / (1.0 + exp(-z));
                    z2 += a[j] * w2[j * BLOCK + n];
                }
                double y = 1.0 / (1.0 + exp(-z2));
                double d2 = scale * (y - T[p]) * y * (1.0 - y);
                for (int j = 0; j < H; j++) {
                    g2[j][n] += a[j] * d2;
                    double d1 = d2 * w2[j * BLOCK + n] * a[j] * (1.0 - a[j]);
                    g1[0][j][n] += X[p][0] * d1;
                    g1[1][j][n] += X[p][1] * d1;
                    g1[2][j][n] += d1;
                }
                g2[H][n] += d2;
            }
        }
        for (int k = 0; k < 3 * H; k++)
#pragma omp simd
            for (int n = 0; n < BLOCK; n++) w1[k * BLOCK + n] -= (&g1[0][0][0])[k * BLOCK + n];
        for (int k = 0; k <= H; k++)
#pragma omp simd
            for (int n = 0; n < BLOCK; n++) w2[k * BLOCK + n] -= g2[k][n];
    }
}

int main(int argc, char **argv) {
    int networks = argc > 1 ? atoi(argv[1]) : 16384, epochs = argc > 2 ? atoi(argv[2]) : 1000;
    int threads = argc > 3 ? atoi(argv[3]) : 1, blocks = networks / BLOCK;
    double *w1 = malloc(sizeof(double) * 3 * H * networks), *w2 = malloc(sizeof(double) * (H + 1) * networks);
    srand(0);
    for (int b = 0; b < blocks; b++) {
        for (int k = 0; k < 3 * H; k++)
            for (int n = 0; n < BLOCK; n++)
                w1[(b * 3 * H + k) * BLOCK + n] = k < 2 * H ? 2.0 * rand() / RAND_MAX - 1 : 0;
        for (int k = 0; k <= H; k++)
            for (int n = 0; n < BLOCK; n++)
                w2[(b * (H + 1) + k) * BLOCK + n] = k < H ? 2.0 * rand() / RAND_MAX - 1 : 0;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int b = 0; b < blocks; b++) train_block(w1 + b * 3 * H * BLOCK, w2 + b * (H + 1) * BLOCK, epochs);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    double check = 0;
    for (int i = 0; i < (H + 1) * networks; i++) check += w2[i];
    printf("%d %d %d %.6f %.1f check=%g\n", H, networks, threads, s, (double)blocks * BLOCK * epochs / s, check);
    return 0;
}
