using Karma.Search.Lexical;

namespace Karma.Search.Tests;

/// <summary>Deterministic catalog-like documents for tests.</summary>
internal static class TestCatalog
{
    private static readonly string[] Colors = ["black", "white", "red", "blue", "green", "linen", "navy"];
    private static readonly string[] Nouns = ["shirt", "shoes", "jacket", "dress", "hoodie", "sofa", "lamp", "running shoe", "kettle"];
    private static readonly string[] Adjectives = ["premium", "classic", "women's", "kids", "lightweight", "vintage", "modern"];
    private static readonly string[] Categories =
        ["apparel/tops/shirt", "footwear/athletic/running-shoe", "apparel/outerwear/jacket", "home/living_room/sofa", "home/kitchen/kettle"];

    private static readonly string?[] Brands = ["Nordwind", "Urbanix", null, "Kinto"];

    public static List<LexicalDocument> Documents(int count, int seed)
    {
        var random = new Random(seed);
        var docs = new List<LexicalDocument>(count);
        for (int i = 0; i < count; i++)
        {
            string title = $"{Pick(random, Adjectives)} {Pick(random, Colors)} {Pick(random, Nouns)}";
            if (random.Next(3) == 0)
            {
                title += " " + Pick(random, Colors);
            }

            string? description = random.Next(4) == 0 ? $"a {Pick(random, Adjectives)} piece for every day" : null;
            docs.Add(new LexicalDocument(title, description, Pick(random, Categories), Pick(random, Brands)));
        }

        return docs;
    }

    public static string[] Queries { get; } =
        ["running shoes", "black shirt", "linen shirt kids", "premium sofa", "red", "nordwind jacket", "vintage lamp navy", "athletic", "kettle"];

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];
}
