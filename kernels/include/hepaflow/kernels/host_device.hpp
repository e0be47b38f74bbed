#pragma once
// HF_HOST_DEVICE marks functors compiled for both backends: __host__ __device__ under nvcc, nothing
// under g++ (where those keywords do not exist).
// Used by the common kernels (kernels/common/*.inl) and by the formula headers beside this one.
#if defined(__CUDACC__)
#define HF_HOST_DEVICE __host__ __device__
#else
#define HF_HOST_DEVICE
#endif
