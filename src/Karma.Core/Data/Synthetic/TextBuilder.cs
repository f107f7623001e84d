using System.Text;

namespace Karma.Core.Data.Synthetic;

/// <summary>
/// Turns latent attributes into text. Titles favour the first synonym of each value, queries favour the
/// later ones, and descriptions use a synonym other than the title's, so text models must learn that
/// "crimson tee" and "red t-shirt" mean the same.
/// </summary>
internal static class TextBuilder
{
    private static readonly string[] Templates =
    [
        "This {style} {noun} comes in {color} and is made of {material}.",
        "A {color} {noun} by {brand} with a {style} design.",
        "{Style} {noun} for {audience}. Material: {material}. Color: {color}.",
        "Made of {material}, this {color} {noun} has a {style} look.",
        "Looking for a {noun}? Our {style} pick in {color} is made for {audience}.",
        "{Brand} presents a {material} {noun} in {color}, {style} and easy to care for.",
    ];

    /// <summary>A synonym index for a title: the first synonym is the most likely (weights (m - j)^2).</summary>
    public static int TitleSynonym(Random random, AttributeValue value)
    {
        int m = value.Synonyms.Length;
        Span<double> w = stackalloc double[m];
        for (int j = 0; j < m; j++)
        {
            w[j] = (m - j) * (m - j);
        }

        return random.PickWeighted(w);
    }

    /// <summary>A synonym for a query: the later synonyms are the more likely (weights j + 1).</summary>
    public static string QuerySynonym(Random random, AttributeValue value) => value.Synonyms[QuerySynonymIndex(random, value)];

    /// <summary>The index of a synonym for a query (see <see cref="QuerySynonym"/>); one draw.</summary>
    public static int QuerySynonymIndex(Random random, AttributeValue value)
    {
        int m = value.Synonyms.Length;
        Span<double> w = stackalloc double[m];
        for (int j = 0; j < m; j++)
        {
            w[j] = j + 1;
        }

        return random.PickWeighted(w);
    }

    /// <summary>A synonym other than the one at <paramref name="used"/>.</summary>
    public static string OtherSynonym(Random random, AttributeValue value, int used)
    {
        int j = random.Next(value.Synonyms.Length - 1);
        return value.Synonyms[j >= used ? j + 1 : j];
    }

    /// <summary>Builds the title and description of one item.</summary>
    public static (string Title, string Description) ItemText(Catalog catalog, int item, Random random)
    {
        var tax = Taxonomy.Instance;
        var leaf = catalog.Leaves[catalog.Leaf[item]];
        var top = tax.Tops[leaf.Top];
        var color = tax.Colors[catalog.Color[item]];
        var material = tax.Materials[catalog.Material[item]];
        var style = tax.Styles[catalog.Style[item]];
        AttributeValue? audience = catalog.Audience[item] >= 0 ? tax.Audiences[catalog.Audience[item]] : null;
        string? brand = catalog.Brand[item] >= 0 ? top.Brands[catalog.Brand[item]] : null;

        int nounSyn = TitleSynonym(random, leaf.Noun);
        int colorSyn = TitleSynonym(random, color);
        int materialSyn = TitleSynonym(random, material);
        int styleSyn = TitleSynonym(random, style);
        int audienceSyn = audience is null ? 0 : TitleSynonym(random, audience);

        // Attribute words in a random order, as in keyword-stuffed marketplace titles.
        // What the title shows is recorded (no extra draws) for the realistic presets' keyword ranker.
        var words = new List<string>(6);
        var shows = TitleWords.None;
        if (random.Chance(0.85))
        {
            words.Add(color.Synonyms[colorSyn]);
            shows |= TitleWords.Color;
        }

        if (random.Chance(0.6))
        {
            words.Add(material.Synonyms[materialSyn]);
            shows |= TitleWords.Material;
        }

        if (random.Chance(0.55))
        {
            words.Add(style.Synonyms[styleSyn]);
            shows |= TitleWords.Style;
        }

        if (audience is not null && random.Chance(0.5))
        {
            words.Add(audience.Synonyms[audienceSyn]);
            shows |= TitleWords.Audience;
        }

        catalog.TitleNoun[item] = (byte)nounSyn;
        catalog.TitleShows[item] = shows;

        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(words));
        var title = new StringBuilder(80);
        if (brand is not null)
        {
            title.Append(brand).Append(' ');
        }

        foreach (string w in words)
        {
            title.Append(w).Append(' ');
        }

        title.Append(leaf.Noun.Synonyms[nounSyn]);
        if (random.Chance(0.25))
        {
            title.Append(' ').Append(random.Pick(Vocabulary.Fillers));
        }

        // Descriptions: one or two template sentences with the other synonyms.
        int first = random.Next(Templates.Length);
        int second = random.Chance(0.5) ? (first + 1 + random.Next(Templates.Length - 1)) % Templates.Length : -1;
        var description = new StringBuilder(160);
        foreach (int t in second < 0 ? [first] : new[] { first, second })
        {
            if (description.Length > 0)
            {
                description.Append(' ');
            }

            description.Append(Fill(Templates[t],
                OtherSynonym(random, leaf.Noun, nounSyn),
                OtherSynonym(random, color, colorSyn),
                OtherSynonym(random, material, materialSyn),
                OtherSynonym(random, style, styleSyn),
                audience is null ? "everyone" : AudienceNoun(OtherSynonym(random, audience, audienceSyn)),
                brand ?? "our studio"));
        }

        return (title.ToString(), description.ToString());
    }

    /// <summary>Builds a query for a leaf category, sometimes with a color, style or audience word.</summary>
    public static string Query(Random random, LeafCategory leaf, int color, int style)
    {
        var tax = Taxonomy.Instance;
        string noun = QuerySynonym(random, leaf.Noun);
        if (!random.Chance(0.45))
        {
            return noun;
        }

        double r = random.NextDouble();
        string modifier = r < 0.55 ? QuerySynonym(random, tax.Colors[color])
            : r < 0.9 || !tax.Tops[leaf.Top].HasAudience ? QuerySynonym(random, tax.Styles[style])
            : QuerySynonym(random, random.Pick(tax.Audiences));
        return modifier + " " + noun;
    }

    private static string Fill(string template, string noun, string color, string material, string style, string audience,
        string brand)
    {
        var sb = new StringBuilder(template);
        sb.Replace("{Style}", Capitalize(style)).Replace("{Brand}", brand)
            .Replace("{style}", style).Replace("{noun}", noun).Replace("{color}", color)
            .Replace("{material}", material).Replace("{audience}", audience).Replace("{brand}", brand);
        return sb.ToString();
    }

    private static string AudienceNoun(string synonym) =>
        synonym.EndsWith("'s", StringComparison.Ordinal) ? synonym[..^2] : synonym;

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
