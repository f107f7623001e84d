using static TorchSharp.torch;

namespace Karma.Training.Objectives;

/// <summary>The KARMA loss terms as pure functions of tensors (unit-tested on hand-computed values).</summary>
public static class Losses
{
    /// <summary>Label value ignored by <see cref="NextTokenCrossEntropy"/>.</summary>
    public const long IgnoreIndex = -100;

    /// <summary>
    /// Pairwise logistic (BPR) loss: mean over valid (positive, negative) pairs of −log σ(s⁺ − s⁻).
    /// positive [B], negatives [B, K], valid [B, K] (bool).
    /// </summary>
    public static Tensor Bpr(Tensor positive, Tensor negatives, Tensor valid)
    {
        using var scope = NewDisposeScope();
        var m = valid.to_type(float32);
        var pair = nn.functional.softplus(negatives - positive.unsqueeze(1)) * m;
        return (pair.sum() / m.sum().clamp_min(1.0)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// InfoNCE: cross-entropy of the positive against the valid negatives, −log(e^{s⁺} / (e^{s⁺} + Σ e^{s⁻})),
    /// averaged over the batch.
    /// </summary>
    public static Tensor InfoNce(Tensor positive, Tensor negatives, Tensor valid)
    {
        using var scope = NewDisposeScope();
        var masked = negatives.masked_fill(valid.logical_not(), float.NegativeInfinity);
        var logits = cat([positive.unsqueeze(1), masked], 1);
        return (-nn.functional.log_softmax(logits, 1).select(1, 0)).mean().MoveToOuterDisposeScope();
    }

    /// <summary>Token-level cross-entropy of logits [B, T, V] against labels [B, T], skipping <see cref="IgnoreIndex"/>.</summary>
    public static Tensor NextTokenCrossEntropy(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        long v = logits.shape[^1];
        return nn.functional.cross_entropy(logits.reshape(-1, v), labels.reshape(-1), ignore_index: IgnoreIndex)
            .MoveToOuterDisposeScope();
    }

    /// <summary>Mean cosine distance 1 − cos(predicted, target) over rows [B, E]: the semantic reconstruction term.</summary>
    public static Tensor CosineDistance(Tensor predicted, Tensor target)
    {
        using var scope = NewDisposeScope();
        return (1.0 - nn.functional.cosine_similarity(predicted, target, 1)).mean().MoveToOuterDisposeScope();
    }

    /// <summary>Mean squared error of predicted and target (standardised) image features.</summary>
    public static Tensor ImageRegression(Tensor predicted, Tensor target)
        => nn.functional.mse_loss(predicted, target);

    /// <summary>Mean squared error over the rows whose <paramref name="valid"/> [B] is true (items with an image).</summary>
    public static Tensor ImageRegression(Tensor predicted, Tensor target, Tensor valid)
    {
        using var scope = NewDisposeScope();
        var m = valid.to_type(float32);
        var diff = predicted - target;
        var perRow = (diff * diff).mean([1]);
        return ((perRow * m).sum() / m.sum().clamp_min(1.0)).MoveToOuterDisposeScope();
    }
}
