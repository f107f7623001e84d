using Karma.Training.Configuration;
using static TorchSharp.torch;

namespace Karma.Training.Objectives.Terms;

/// <summary>L_img: the target item's standardised image feature regressed from h_t (items without an image skipped).</summary>
public sealed class ImageReconstructionLoss : ILossTerm
{
    /// <inheritdoc/>
    public string Name => "img";

    /// <inheritdoc/>
    public Regularizers Family => Regularizers.Img;

    /// <inheritdoc/>
    public double Weight(AlignConfig config) => config.LambdaImg;

    /// <inheritdoc/>
    public Tensor? Loss(AlignForward forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        if (forward.Items.Image is not { } images)
        {
            return null;
        }

        var target = forward.Batch.TargetItem;
        var encoder = forward.Model.item_encoder;
        var standardised = (images.index_select(0, target) - encoder.image_mean) / encoder.image_std;
        return Losses.ImageRegression(forward.Model.PredictImage(forward.Interest), standardised, forward.Items.HasImage.index_select(0, target));
    }
}
