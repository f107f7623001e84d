using System.Text;

namespace Karma.Core.Data.Synthetic;

/// <summary>Kinds of query modifier, in the order they are written before the noun ("Nordwind women's red tee").</summary>
internal enum QueryModifier
{
    /// <summary>A brand name of the need's top category.</summary>
    Brand,

    /// <summary>An audience (only for top categories that name one).</summary>
    Audience,

    /// <summary>A color, often one of the user's taste colors.</summary>
    Color,

    /// <summary>A style, often the user's.</summary>
    Style,

    /// <summary>A material of the need's top category.</summary>
    Material,
}

/// <summary>
/// A realistic-preset query: the need's category noun (a query synonym, so later synonyms are the more likely
/// and lexical overlap with titles is imperfect) plus zero to three modifiers, each a value and the synonym
/// used for it. Immutable: a reformulation is a new instance.
/// </summary>
internal sealed class QuerySpec
{
    /// <summary>How often each kind of modifier is chosen, by <see cref="QueryModifier"/>.</summary>
    private static readonly double[] KindWeights = [0.1, 0.15, 0.45, 0.2, 0.1];

    private const int Kinds = 5;
    private const int MaxModifiers = 3;
    private const double TasteColorShare = 0.7;
    private const double TasteStyleShare = 0.6;
    private const double FavouriteBrandShare = 0.8;

    private readonly int[] _value;
    private readonly int[] _word;

    private QuerySpec(int leaf, int noun, int[] value, int[] word, Catalog catalog)
    {
        Leaf = leaf;
        Noun = noun;
        _value = value;
        _word = word;
        Text = Render(catalog);
    }

    /// <summary>The need's leaf (index into <see cref="Catalog.Leaves"/>).</summary>
    public int Leaf { get; }

    /// <summary>The synonym index of the category noun.</summary>
    public int Noun { get; }

    /// <summary>The query as the user typed it.</summary>
    public string Text { get; }

    /// <summary>Number of modifiers.</summary>
    public int ModifierCount => _value.Count(v => v >= 0);

    /// <summary>The value of a modifier (an index into its value list, brands into the top's brands), or -1 when absent.</summary>
    public int Value(QueryModifier kind) => _value[(int)kind];

    /// <summary>A new query for <paramref name="leaf"/>: with probability <paramref name="modifierShare"/> one or two modifiers.</summary>
    public static QuerySpec Create(Random random, Catalog catalog, int leaf, SimulatedUser user, double modifierShare)
    {
        int noun = TextBuilder.QuerySynonymIndex(random, catalog.Leaves[leaf].Noun);
        int[] value = [-1, -1, -1, -1, -1];
        int[] word = [-1, -1, -1, -1, -1];
        if (random.Chance(modifierShare))
        {
            int count = random.Chance(0.25) ? 2 : 1;
            for (int m = 0; m < count; m++)
            {
                AddModifier(random, catalog, leaf, user, value, word);
            }
        }

        return new QuerySpec(leaf, noun, value, word, catalog);
    }

    /// <summary>
    /// Another query for the same need, as a user rephrases after an unhelpful result page: another synonym of
    /// the noun, a modifier added, or a modifier dropped (uniformly among those possible). The text always changes.
    /// </summary>
    public QuerySpec Reformulate(Random random, Catalog catalog, SimulatedUser user)
    {
        int[] value = (int[])_value.Clone();
        int[] word = (int[])_word.Clone();
        int noun = Noun;
        int modifiers = ModifierCount;
        bool canAdd = modifiers < MaxModifiers;
        Span<double> option = [1.0, canAdd ? 1.0 : 0.0, modifiers > 0 ? 1.0 : 0.0];
        switch (random.PickWeighted(option))
        {
            case 0:
                int synonyms = catalog.Leaves[Leaf].Noun.Synonyms.Length;
                noun = random.Next(synonyms - 1);
                noun += noun >= Noun ? 1 : 0;
                break;
            case 1:
                AddModifier(random, catalog, Leaf, user, value, word);
                break;
            default:
                int drop = random.Next(modifiers);
                for (int k = 0; k < Kinds; k++)
                {
                    if (value[k] >= 0 && drop-- == 0)
                    {
                        value[k] = -1;
                        word[k] = -1;
                        break;
                    }
                }

                break;
        }

        return new QuerySpec(Leaf, noun, value, word, catalog);
    }

    /// <summary>Adds one modifier of a kind not present yet; color and style lean to the user's taste, brand to the favourite.</summary>
    private static void AddModifier(Random random, Catalog catalog, int leaf, SimulatedUser user, int[] value, int[] word)
    {
        var tax = Taxonomy.Instance;
        var top = tax.Tops[catalog.Leaves[leaf].Top];
        Span<double> weights = stackalloc double[Kinds];
        for (int k = 0; k < Kinds; k++)
        {
            bool possible = value[k] < 0 && (k != (int)QueryModifier.Audience || top.HasAudience);
            weights[k] = possible ? KindWeights[k] : 0;
        }

        var kind = (QueryModifier)random.PickWeighted(weights);
        int v;
        AttributeValue? attribute;
        switch (kind)
        {
            case QueryModifier.Brand:
                int favourite = user.FavouriteBrand[catalog.Leaves[leaf].Top];
                v = favourite >= 0 && random.Chance(FavouriteBrandShare) ? favourite : Catalog.PickZipf(random, top.Brands.Length);
                attribute = null;
                break;
            case QueryModifier.Audience:
                v = random.PickWeighted(Vocabulary.AudienceWeights);
                attribute = tax.Audiences[v];
                break;
            case QueryModifier.Color:
                v = random.Chance(TasteColorShare) ? user.PickTasteColor(random) : random.Next(tax.Colors.Length);
                attribute = tax.Colors[v];
                break;
            case QueryModifier.Style:
                v = random.Chance(TasteStyleShare) ? user.Style : random.Next(tax.Styles.Length);
                attribute = tax.Styles[v];
                break;
            default:
                v = top.Materials[random.Next(top.Materials.Length)];
                attribute = tax.Materials[v];
                break;
        }

        value[(int)kind] = v;
        word[(int)kind] = attribute is null ? -1 : TextBuilder.QuerySynonymIndex(random, attribute);
    }

    private string Render(Catalog catalog)
    {
        var tax = Taxonomy.Instance;
        var leaf = catalog.Leaves[Leaf];
        var text = new StringBuilder(48);
        for (int k = 0; k < Kinds; k++)
        {
            if (_value[k] < 0)
            {
                continue;
            }

            string w = (QueryModifier)k switch
            {
                QueryModifier.Brand => tax.Tops[leaf.Top].Brands[_value[k]],
                QueryModifier.Audience => tax.Audiences[_value[k]].Synonyms[_word[k]],
                QueryModifier.Color => tax.Colors[_value[k]].Synonyms[_word[k]],
                QueryModifier.Style => tax.Styles[_value[k]].Synonyms[_word[k]],
                _ => tax.Materials[_value[k]].Synonyms[_word[k]],
            };
            text.Append(w).Append(' ');
        }

        return text.Append(leaf.Noun.Synonyms[Noun]).ToString();
    }
}
