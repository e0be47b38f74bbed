#pragma once
// Thrust headers used by the common kernels; included by each backend's translation unit before it
// opens its namespace. THRUST_DEVICE_SYSTEM (OMP for cpu/, CUDA for cuda/) picks the system.
#include <thrust/execution_policy.h>
#include <thrust/fill.h>
#include <thrust/for_each.h>
#include <thrust/inner_product.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/transform.h>
#include <thrust/transform_reduce.h>
#include <thrust/functional.h>
#include <hepaflow/kernels/host_device.hpp>
#include <hepaflow/kernels/rheology.hpp>
