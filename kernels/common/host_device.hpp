#pragma once
// HF_HOST_DEVICE marks functors compiled for both backends: __host__ __device__ under nvcc, nothing
// under g++ (where those keywords do not exist).
#if defined(__CUDACC__)
#define HF_HOST_DEVICE __host__ __device__
#else
#define HF_HOST_DEVICE
#endif
