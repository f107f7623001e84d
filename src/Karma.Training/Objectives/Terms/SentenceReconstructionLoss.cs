using Karma.Training.Configuration;
using static TorchSharp.torch;

namespace Karma.Training.Objectives.Terms;

/// <summary>
/// L_rec's second part with a pretrained text encoder: the cosine distance between the sentence embedding decoded from
/// h_t and the target item's, so h_t stays decodable into the pretrained space.
/// </summary>
public sealed class SentenceReconstructionLoss : ILossTerm
{
    /// <inheritdoc/>
    public string Name => "sem";

    /// <inheritdoc/>
    public Regularizers Family => Regularizers.Rec;

    /// <inheritdoc/>
    public double Weight(AlignConfig config) => config.LambdaSem ?? config.LambdaRec;

    /// <inheritdoc/>
    public Tensor? Loss(AlignForward forward) => forward.Items.TextEmbedding is { } sentences
        ? Losses.CosineDistance(forward.Model.PredictTextEmbedding(forward.Interest), sentences.index_select(0, forward.Batch.TargetItem))
        : null;
}
