using Karma.Training.Batching;
using Karma.Training.Configuration;
using Karma.Training.Modeling;
using static TorchSharp.torch;

namespace Karma.Training.Objectives;

/// <summary>What a loss term reads for one batch: the model, the batch, and the forward pass every term shares.</summary>
/// <param name="Model">The model being trained.</param>
/// <param name="Items">The item features the batch indexes.</param>
/// <param name="Batch">The batch.</param>
/// <param name="Hidden">The backbone's hidden states of the batch's sequences [B, T, d].</param>
/// <param name="Interest">h_t, the normalized next-interest embedding [B, D].</param>
/// <param name="Config">The stage-2 settings (the terms' weights).</param>
public sealed record AlignForward(KarmaModel Model, ItemFeatures Items, AlignBatch Batch, Tensor Hidden, Tensor Interest, AlignConfig Config);
