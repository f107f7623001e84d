namespace Karma.Core.Data.Synthetic;

/// <summary>Turns an item's latent attributes into its stand-in image-feature vector.</summary>
internal interface IImageModel
{
    /// <summary>The feature vector of one item; per-item randomness comes from <paramref name="random"/>.</summary>
    float[] For(Catalog catalog, int item, Random random);
}
