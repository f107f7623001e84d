using System.Globalization;
using System.Text;

namespace Karma.Core.Tests.Text;

/// <summary>A deterministic, catalog-like corpus: titles, descriptions, category paths and queries (~30 words per item).</summary>
internal static class SyntheticCatalog
{
    private static readonly string[] Nouns =
    [
        "shoes", "sneakers", "boots", "jacket", "shirt", "dress", "jeans", "socks", "backpack", "watch",
        "headphones", "speaker", "charger", "cable", "laptop", "phone", "case", "kettle", "blender", "mug",
        "lamp", "pillow", "blanket", "towel", "sofa", "chair", "desk", "shelf", "tent", "bottle",
    ];

    private static readonly string[] Adjectives =
    [
        "red", "blue", "black", "white", "green", "grey", "waterproof", "wireless", "leather", "cotton",
        "organic", "lightweight", "portable", "stainless", "vintage", "classic", "premium", "compact", "soft", "durable",
    ];

    private static readonly string[] Categories =
    [
        "Apparel/Shoes/Running", "Apparel/Outerwear", "Electronics/Audio", "Electronics/Accessories",
        "Home/Kitchen", "Home/Bedding", "Furniture/Office", "Outdoor/Camping", "Beauty/Skin Care", "Café & Crème",
    ];

    private static readonly string[] Fillers =
    [
        "the", "and", "with", "for", "a", "of", "in", "to", "is", "made", "from", "this", "your", "every", "day",
        "perfect", "gift", "quality", "design", "comfort", "easy", "use", "care", "fit", "size", "new", "naïve", "größe",
    ];

    private const string Syllables = "ka,ri,mo,tel,van,sun,zor,pi,lex,ta,no,bra,qui,der,ul,fen,go,yam,wix,ost";

    public static List<string> Texts(int items, int seed = 1)
    {
        var rng = new Random(seed);
        string[] syllables = Syllables.Split(',');
        var brands = Enumerable.Range(0, 150)
            .Select(_ => string.Concat(Enumerable.Range(0, rng.Next(2, 4)).Select(_ => syllables[rng.Next(syllables.Length)])))
            .ToArray();
        var texts = new List<string>(items * 2);
        var sb = new StringBuilder();
        for (int i = 0; i < items; i++)
        {
            string brand = brands[Zipf(rng, brands.Length)];
            string noun = Nouns[Zipf(rng, Nouns.Length)];
            sb.Clear();
            sb.Append(CultureInfo.InvariantCulture, $"{Capitalize(brand)} {Adjectives[rng.Next(Adjectives.Length)]} {Adjectives[rng.Next(Adjectives.Length)]} {noun}");
            sb.Append(CultureInfo.InvariantCulture, $", {rng.Next(1, 20) * 50}ml - Model {(char)('A' + rng.Next(26))}{rng.Next(100, 999)}");
            texts.Add(sb.ToString());

            sb.Clear();
            int words = rng.Next(14, 22);
            for (int w = 0; w < words; w++)
            {
                int pick = rng.Next(10);
                sb.Append(pick < 6 ? Fillers[Zipf(rng, Fillers.Length)] : pick < 8 ? Adjectives[rng.Next(Adjectives.Length)] : Nouns[Zipf(rng, Nouns.Length)]);
                sb.Append(w == words - 1 ? "." : rng.Next(8) == 0 ? ", " : " ");
            }

            texts.Add(sb.ToString());
            texts.Add(Categories[rng.Next(Categories.Length)]);
            if (i % 2 == 0)
            {
                texts.Add($"{(rng.Next(3) == 0 ? brand + " " : "")}{Adjectives[rng.Next(Adjectives.Length)]} {noun}");
            }
        }

        return texts;
    }

    private static string Capitalize(string word) => char.ToUpperInvariant(word[0]) + word[1..];

    /// <summary>Rank-skewed index in 0..n-1: low indices are much more frequent.</summary>
    private static int Zipf(Random rng, int n) => (int)Math.Min(n - 1, Math.Floor(Math.Pow(n + 1, rng.NextDouble()) - 1));
}
