using static TorchSharp.torch;

namespace Karma.Training.Batching;

/// <summary>
/// One stage-2 batch as tensors. Items are encoded once per batch: <see cref="UniqueItems"/> lists the catalog
/// indices, and every other tensor refers to items by their position in that list.
/// </summary>
public sealed class AlignBatch : IDisposable
{
    /// <summary>Catalog indices of every item the batch touches [U].</summary>
    public required Tensor UniqueItems { get; init; }

    /// <summary>Sequence token ids [B, T] ([ITEM] at history slots, [PAD] after the end).</summary>
    public required Tensor Tokens { get; init; }

    /// <summary>[B, T]: 0 for a real token, k+1 for history item k of <see cref="UniqueItems"/>.</summary>
    public required Tensor HistorySlot { get; init; }

    /// <summary>Position of [INT] per example [B].</summary>
    public required Tensor InterestPosition { get; init; }

    /// <summary>L_gen labels [B, T] (next text token after [INT], else ignore), or null without L_gen.</summary>
    public Tensor? GenLabels { get; init; }

    /// <summary>Target item per example as a position in <see cref="UniqueItems"/> [B].</summary>
    public required Tensor TargetLocal { get; init; }

    /// <summary>Target item per example as a catalog index [B].</summary>
    public required Tensor TargetItem { get; init; }

    /// <summary>Hard negatives per example as positions in <see cref="UniqueItems"/> [B, H].</summary>
    public required Tensor HardNegativeLocal { get; init; }

    /// <summary>Which hard-negative slots are real [B, H].</summary>
    public required Tensor HardNegativeValid { get; init; }

    /// <summary>Target text tokens [B, L] for L_rec (padded with [PAD]).</summary>
    public required Tensor TargetText { get; init; }

    /// <summary>L_rec labels [B, L+1]: position 0 predicts the first text token, the last real one [EOS].</summary>
    public required Tensor RecLabels { get; init; }

    /// <summary>The frozen text encoder's query embeddings [B, text dim] (zeros without a query), or null when the model has none.</summary>
    public Tensor? QueryEmbedding { get; init; }

    /// <summary>Examples in the batch.</summary>
    public long Size => Tokens.shape[0];

    /// <inheritdoc />
    public void Dispose()
    {
        UniqueItems.Dispose();
        Tokens.Dispose();
        HistorySlot.Dispose();
        InterestPosition.Dispose();
        GenLabels?.Dispose();
        TargetLocal.Dispose();
        TargetItem.Dispose();
        HardNegativeLocal.Dispose();
        HardNegativeValid.Dispose();
        TargetText.Dispose();
        RecLabels.Dispose();
        QueryEmbedding?.Dispose();
    }
}
