namespace Karma.Core.Data.Synthetic;

/// <summary>
/// Image features of the realistic presets: <c>ImageSignal · (leaf + ½·color)</c> plus nuisance attributes
/// that never affect clicks (photo background, lighting, camera angle: a few values each, one per item, each
/// value with its own random vector) plus Gaussian noise. Real product photos show the category and the color
/// but not the material or the style, and much of their variance is photography, not product; a model that
/// leans on the image alone should therefore gain little.
/// </summary>
internal sealed class NuisanceImageFeatures : IImageModel
{
    private const float ColorShare = 0.5f;

    /// <summary>Number of values of each nuisance attribute: background, lighting, camera angle.</summary>
    private static readonly int[] NuisanceValues = [5, 3, 4];

    private readonly int _dim;
    private readonly float _signal;
    private readonly float _nuisance;
    private readonly float _noise;
    private readonly float[][] _leaf;
    private readonly float[][] _color;
    private readonly float[][][] _nuisanceVectors;

    public NuisanceImageFeatures(int dim, Realism realism, Random random)
    {
        var tax = Taxonomy.Instance;
        _dim = dim;
        _signal = (float)realism.ImageSignal;
        _nuisance = (float)realism.ImageNuisance;
        _noise = (float)realism.ImageNoise;
        _leaf = ImageFeatures.Vectors(tax.Leaves.Length, dim, random);
        _color = ImageFeatures.Vectors(tax.Colors.Length, dim, random);
        _nuisanceVectors = NuisanceValues.Select(count => ImageFeatures.Vectors(count, dim, random)).ToArray();
    }

    /// <inheritdoc/>
    public float[] For(Catalog catalog, int item, Random random)
    {
        float[] leaf = _leaf[catalog.LeafTaxonomyIndex[catalog.Leaf[item]]];
        float[] color = _color[catalog.Color[item]];
        Span<int> pick = stackalloc int[NuisanceValues.Length];
        for (int a = 0; a < pick.Length; a++)
        {
            pick[a] = random.Next(NuisanceValues[a]);
        }

        float scale = 1f / MathF.Sqrt(_dim);
        var v = new float[_dim];
        for (int k = 0; k < _dim; k++)
        {
            double x = _signal * (leaf[k] + (ColorShare * color[k]));
            for (int a = 0; a < pick.Length; a++)
            {
                x += _nuisance * _nuisanceVectors[a][pick[a]][k];
            }

            x += _noise * scale * random.NextGaussian();
            v[k] = (float)Math.Round(x, 4);
        }

        return v;
    }
}
