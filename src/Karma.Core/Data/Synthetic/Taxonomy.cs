namespace Karma.Core.Data.Synthetic;

/// <summary>One value of a latent attribute with its interchangeable spellings.</summary>
/// <param name="Key">Canonical name (used in category paths and for latent matching).</param>
/// <param name="Synonyms">Two or three spellings; the first is the most common in titles.</param>
internal sealed record AttributeValue(string Key, string[] Synonyms);

/// <summary>A leaf category such as <c>apparel/tops/tshirt</c>.</summary>
/// <param name="Path">Full category path.</param>
/// <param name="Top">Index into <see cref="Taxonomy.Tops"/>.</param>
/// <param name="Noun">The category noun and its synonyms.</param>
internal sealed record LeafCategory(string Path, int Top, AttributeValue Noun);

/// <summary>A top category: which materials fit, whether titles name an audience, its brands and price level.</summary>
internal sealed record TopCategory(string Name, int[] Materials, bool HasAudience, string[] Brands, double LogPrice);

/// <summary>The parsed word lists of <see cref="Vocabulary"/>: a three-level taxonomy plus attribute values.</summary>
internal sealed class Taxonomy
{
    private Taxonomy()
    {
        Colors = Parse(Vocabulary.Colors);
        Materials = Parse(Vocabulary.Materials);
        Styles = Parse(Vocabulary.Styles);
        Audiences = Parse(Vocabulary.Audiences);
        var materialIndex = Materials.Select((m, i) => (m.Key, i)).ToDictionary(p => p.Key, p => p.i, StringComparer.Ordinal);
        Tops = Vocabulary.Tops
            .Select(t => new TopCategory(t.Name,
                t.Materials.Select(m => materialIndex.TryGetValue(m, out int i)
                    ? i
                    : throw new InvalidOperationException($"unknown material '{m}' in top category '{t.Name}'")).ToArray(),
                t.HasAudience, t.Brands, t.LogPrice))
            .ToArray();
        var topIndex = Tops.Select((t, i) => (t.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        Leaves = Parse(Vocabulary.Leaves)
            .Select(v =>
            {
                string top = v.Key[..v.Key.IndexOf('/', StringComparison.Ordinal)];
                return new LeafCategory(v.Key, topIndex[top], v with { Key = v.Key[(v.Key.LastIndexOf('/') + 1)..] });
            })
            .ToArray();
    }

    /// <summary>The one taxonomy built from the embedded word lists.</summary>
    public static Taxonomy Instance { get; } = new();

    /// <summary>Top categories.</summary>
    public TopCategory[] Tops { get; }

    /// <summary>All leaf categories, grouped by top category in list order.</summary>
    public LeafCategory[] Leaves { get; }

    /// <summary>Color values.</summary>
    public AttributeValue[] Colors { get; }

    /// <summary>Material values (ingredients for beauty).</summary>
    public AttributeValue[] Materials { get; }

    /// <summary>Style values.</summary>
    public AttributeValue[] Styles { get; }

    /// <summary>Audience values.</summary>
    public AttributeValue[] Audiences { get; }

    private static AttributeValue[] Parse(string[] lines) => lines
        .Select(line =>
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            string key = line[..eq].Trim();
            string[] synonyms = line[(eq + 1)..].Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (synonyms.Length < 2)
            {
                throw new InvalidOperationException($"'{key}' needs at least two synonyms");
            }

            return new AttributeValue(key, synonyms);
        })
        .ToArray();
}
