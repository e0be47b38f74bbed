#pragma once
// Exact elimination of low-degree nodes from a weighted graph Laplacian with grounding (the reduced
// nodal system of a vessel network: conductances between unknown nodes, plus each node's
// conductance to pressure-boundary nodes, its "ground"). A node with at most two neighbours is an
// end (degree 1: a dangling tree's leaf) or the interior of an unbranched chain (degree 2: series
// resistances). Eliminating node i with neighbours j, k, ground conductance g_i0 and
// d_i = g_i0 + g_ij + g_ik is the Schur complement step (block Gaussian elimination):
//   p_i = (b_i + g_ij p_j + g_ik p_k) / d_i,
//   new edge j-k:  g_jk += g_ij g_ik / d_i     (series resistances 1/g_ij + 1/g_ik),
//   new grounds:   g_j0 += g_ij g_i0 / d_i,  g_k0 += g_ik g_i0 / d_i,
//   condensed rhs: b_j  += g_ij b_i / d_i,   b_k  += g_ik b_i / d_i.
// Written in conductances, every update adds positive numbers (no cancellation), so the reduced
// matrix is again a grounded Laplacian (Dorfler & Bullo 2013, "Kron reduction of graphs", IEEE TCAS-I
// 60:150, for the algebra). Nodes are eliminated in rounds of independent sets (no two adjacent), so
// a chain of L nodes takes O(log L) rounds (cyclic reduction, Hockney 1965): each round is one
// backend launch forward (condensing b) and one backward (recovering p) through
// KernelSet::csr_gather_update, the segmented scan of the chains in log-depth form.
#include <vector>

#include "hepaflow/linear/amg.hpp"

namespace hepaflow {

class LowDegreeElimination {
 public:
  /// `a`: the full system (symmetric, diagonally dominant, off-diagonals <= 0) on the host;
  /// `ground`: each row's conductance to fixed-pressure nodes (d_i - sum_j |a_ij| computed without
  /// cancellation by the caller). Eliminates degree <= 2 nodes round by round until a round would
  /// remove fewer than `min_fraction` of the rows (or max_rounds).
  LowDegreeElimination(const KernelSet& k, const HostCsr& a, const std::vector<double>& ground,
                       int max_rounds = 64, double min_fraction = 2e-3);

  /// The reduced (Schur complement) system on the kept rows.
  const HostCsr& reduced() const { return reduced_; }
  index_t kept() const { return reduced_.rows; }
  int rounds() const { return static_cast<int>(rounds_.size()); }

  /// Forward condensation: w (length rows of `a`, backend) holds b on entry and the condensed rhs
  /// afterwards; b_reduced (length kept()) receives its kept rows.
  void condense(double* w, double* b_reduced) const;
  /// Back substitution: w as left by condense(); x_reduced the reduced solution. On return w holds
  /// the full solution.
  void recover(const double* x_reduced, double* w) const;

 private:
  struct Round {
    DeviceCsr forward;          ///< rows: the neighbours receiving condensed rhs; cols: eliminated rows
    DeviceArray<index_t> forward_rows;
    DeviceCsr backward;         ///< rows: the eliminated rows; cols: their neighbours at elimination
    DeviceArray<index_t> backward_rows;
    DeviceArray<double> inverse_diagonal;  ///< 1 / d_i (0 where d_i = 0: an isolated row)
  };
  const KernelSet* k_;
  std::vector<Round> rounds_;
  HostCsr reduced_;
  DeviceArray<index_t> kept_rows_;  ///< reduced row -> full row
};

}  // namespace hepaflow
