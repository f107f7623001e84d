using Karma.Training.Configuration;
using static TorchSharp.torch;

namespace Karma.Training.Objectives.Terms;

/// <summary>L_rec: the target item's text decoded from h_t alone, so h_t stays semantically recoverable.</summary>
public sealed class TextReconstructionLoss : ILossTerm
{
    /// <inheritdoc/>
    public string Name => "rec";

    /// <inheritdoc/>
    public Regularizers Family => Regularizers.Rec;

    /// <inheritdoc/>
    public double Weight(AlignConfig config) => config.LambdaRec;

    /// <inheritdoc/>
    /// <remarks>With a pretrained text encoder, λ_rec = 0 leaves L_rec to the sentence decoder alone.</remarks>
    public Tensor? Loss(AlignForward forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        if (forward.Config.LambdaRec == 0 && forward.Items.TextEmbedding is not null)
        {
            return null;
        }

        var batch = forward.Batch;
        return Losses.NextTokenCrossEntropy(forward.Model.ReconstructLogits(forward.Interest, batch.TargetText), batch.RecLabels);
    }
}
