namespace Karma.Core.Data.Synthetic;

/// <summary>
/// Stand-in image features: a fixed random vector per leaf category, color, material and style (fixed for a
/// seed), summed with decreasing weights, plus per-item Gaussian noise. Values are rounded to 4 decimals to
/// keep the files small.
/// </summary>
internal sealed class ImageFeatures : IImageModel
{
    private const float LeafWeight = 1.0f;
    private const float ColorWeight = 0.6f;
    private const float MaterialWeight = 0.5f;
    private const float StyleWeight = 0.4f;
    private const float NoiseWeight = 0.35f;

    private readonly int _dim;
    private readonly float[][] _leaf;
    private readonly float[][] _color;
    private readonly float[][] _material;
    private readonly float[][] _style;

    public ImageFeatures(int dim, Random random)
    {
        var tax = Taxonomy.Instance;
        _dim = dim;
        _leaf = Vectors(tax.Leaves.Length, dim, random);
        _color = Vectors(tax.Colors.Length, dim, random);
        _material = Vectors(tax.Materials.Length, dim, random);
        _style = Vectors(tax.Styles.Length, dim, random);
    }

    /// <summary>The feature vector of one item; draws <c>dim</c> noise values from <paramref name="random"/>.</summary>
    public float[] For(Catalog catalog, int item, Random random)
    {
        float[] leaf = _leaf[catalog.LeafTaxonomyIndex[catalog.Leaf[item]]];
        float[] color = _color[catalog.Color[item]];
        float[] material = _material[catalog.Material[item]];
        float[] style = _style[catalog.Style[item]];
        float scale = 1f / MathF.Sqrt(_dim);
        var v = new float[_dim];
        for (int k = 0; k < _dim; k++)
        {
            double x = (LeafWeight * leaf[k]) + (ColorWeight * color[k]) + (MaterialWeight * material[k])
                + (StyleWeight * style[k]) + (NoiseWeight * scale * random.NextGaussian());
            v[k] = (float)Math.Round(x, 4);
        }

        return v;
    }

    /// <summary><paramref name="count"/> random vectors of length <paramref name="dim"/> and expected norm 1.</summary>
    internal static float[][] Vectors(int count, int dim, Random random)
    {
        float scale = 1f / MathF.Sqrt(dim);
        var vectors = new float[count][];
        for (int i = 0; i < count; i++)
        {
            vectors[i] = new float[dim];
            for (int k = 0; k < dim; k++)
            {
                vectors[i][k] = scale * (float)random.NextGaussian();
            }
        }

        return vectors;
    }
}
