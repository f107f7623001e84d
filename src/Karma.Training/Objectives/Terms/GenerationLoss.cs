using Karma.Training.Configuration;
using static TorchSharp.torch;

namespace Karma.Training.Objectives.Terms;

/// <summary>L_gen: the backbone generates the target item's text from the history context with its next-token head.</summary>
public sealed class GenerationLoss : ILossTerm
{
    /// <inheritdoc/>
    public string Name => "gen";

    /// <inheritdoc/>
    public Regularizers Family => Regularizers.Gen;

    /// <inheritdoc/>
    public double Weight(AlignConfig config) => config.LambdaGen;

    /// <inheritdoc/>
    public Tensor? Loss(AlignForward forward) => forward.Batch.GenLabels is { } labels
        ? Losses.NextTokenCrossEntropy(forward.Model.backbone.Logits(forward.Hidden), labels)
        : null;
}
