using System.Globalization;
using Karma.Serving.Model;

namespace Karma.Serving.Tests;

/// <summary>The user-embedding cache key: injective over (model version, history rows, query tokens).</summary>
public sealed class CacheKeyTests
{
    private const string Version = "karma-test-1";

    [Fact]
    public void Key_HasThePrefixTheVersionAndASha256()
    {
        string key = UserEmbeddingCache.Key(Version, [1, 2, 3], [7, 8]);
        Assert.StartsWith(UserEmbeddingCache.KeyPrefix + Version + ":", key, StringComparison.Ordinal);
        string hash = key[(UserEmbeddingCache.KeyPrefix.Length + Version.Length + 1)..];
        Assert.Equal(64, hash.Length);
        Assert.True(hash.All(Uri.IsHexDigit), hash);
        Assert.Equal(key, UserEmbeddingCache.Key(Version, [1, 2, 3], [7, 8]));
    }

    [Fact]
    public void Key_SeparatorCollisionContexts_Differ()
    {
        // Issue 12: history ["i0001\u001fi0002\u001fi0003"] (one unknown id: no rows) and ["i0001", "i0002", "i0003"]
        // (three rows) with the same query were one key when the ids were joined with U+001F.
        int[] query = [101, 102];
        Assert.NotEqual(UserEmbeddingCache.Key(Version, [], query), UserEmbeddingCache.Key(Version, [1, 2, 3], query));
    }

    [Fact]
    public void Key_FieldBoundaries_CannotShift()
    {
        Assert.NotEqual(UserEmbeddingCache.Key(Version, [1], [2, 3]), UserEmbeddingCache.Key(Version, [1, 2], [3]));
        Assert.NotEqual(UserEmbeddingCache.Key(Version, [], [1]), UserEmbeddingCache.Key(Version, [1], []));
        Assert.NotEqual(UserEmbeddingCache.Key(Version, [0], []), UserEmbeddingCache.Key(Version, [], []));
        Assert.NotEqual(UserEmbeddingCache.Key("v", [0], []), UserEmbeddingCache.Key("v\0", [], []));
        Assert.NotEqual(UserEmbeddingCache.Key("a:b", [], [1]), UserEmbeddingCache.Key("a", [], [1]));
    }

    [Fact]
    public void Key_LongInputs_AreHashedToo()
    {
        int[] rows = Enumerable.Range(0, 5000).ToArray();
        string key = UserEmbeddingCache.Key(Version, rows, [1]);
        rows[^1]++;
        Assert.NotEqual(key, UserEmbeddingCache.Key(Version, rows, [1]));
    }

    [Fact]
    public void Keys_AreEqual_IffInputsAreEqual_OnRandomInputs()
    {
        // Small alphabets and lengths make equal inputs frequent and near-misses (one element moved across a field
        // boundary, a version with a suffix) common: both directions of the equivalence get exercised.
        var random = new Random(20261201);
        string[] versions = ["v", "v1", "v:1", "1", "", "v\u001f"];
        var byKey = new Dictionary<string, string>(StringComparer.Ordinal);
        var byInput = new Dictionary<string, string>(StringComparer.Ordinal);
        int repeats = 0;
        for (int n = 0; n < 20_000; n++)
        {
            string version = versions[random.Next(versions.Length)];
            int[] rows = Enumerable.Range(0, random.Next(4)).Select(_ => random.Next(3)).ToArray();
            int[] tokens = Enumerable.Range(0, random.Next(4)).Select(_ => random.Next(3) - 1).ToArray();
            string input = string.Join("|", version.Length.ToString(CultureInfo.InvariantCulture), version,
                string.Join(",", rows), string.Join(",", tokens));
            string key = UserEmbeddingCache.Key(version, rows, tokens);
            if (byKey.TryGetValue(key, out string? seen))
            {
                Assert.Equal(seen, input);
                repeats++;
            }
            else
            {
                byKey[key] = input;
            }

            if (byInput.TryGetValue(input, out string? keyed))
            {
                Assert.Equal(keyed, key);
            }
            else
            {
                byInput[input] = key;
            }
        }

        Assert.Equal(byKey.Count, byInput.Count);
        Assert.True(repeats > 1000, $"only {repeats} repeated inputs: the equal-inputs direction was barely tested");
        Assert.True(byKey.Count > 1000, $"only {byKey.Count} distinct inputs");
    }
}
