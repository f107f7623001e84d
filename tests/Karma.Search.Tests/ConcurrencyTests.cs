using Karma.Search.Lexical;

namespace Karma.Search.Tests;

/// <summary>Many threads querying one index get what sequential calls get.</summary>
public sealed class ConcurrencyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("karma-lexical-mt-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void ConcurrentQueries_MatchSequentialResults()
    {
        string dir = Path.Combine(_root, "index");
        LexicalIndex.Build(dir, TestCatalog.Documents(3_000, seed: 17));
        using var index = LexicalIndex.Open(dir, 3_000);
        string[] queries = [.. TestCatalog.Queries, "shirt \uD800 👟", "the of", "premium classic modern vintage kids"];
        var expected = queries.ToDictionary(q => q, q => Snapshot(index, q));

        const int threads = 8;
        const int rounds = 200;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < rounds; i++)
            {
                string query = queries[(i * 7 + t) % queries.Length];
                try
                {
                    if (Snapshot(index, query) != expected[query])
                    {
                        failures.Add($"thread {t}, round {i}, '{query}': result differs");
                    }
                }
                catch (Exception e)
                {
                    failures.Add($"thread {t}, round {i}, '{query}': {e}");
                }
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        Assert.Empty(failures);
    }

    /// <summary>Everything a query returns, as one comparable string (scores bit-exact).</summary>
    private static string Snapshot(LexicalIndex index, string query)
    {
        using LexicalMatches matches = index.Match(query);
        var text = new System.Text.StringBuilder();
        text.AppendJoin(',', index.Terms(query)).Append('|');
        for (int i = 0; i < matches.Count; i++)
        {
            text.Append(matches.Rows[i]).Append(':').Append(BitConverter.SingleToInt32Bits(matches.Scores[i])).Append(' ');
        }

        text.Append('|');
        foreach (LexicalHit hit in index.Search(query, 25, r => r % 3 != 0))
        {
            text.Append(hit.Row).Append(':').Append(BitConverter.SingleToInt32Bits(hit.Score)).Append(' ');
        }

        return text.ToString();
    }
}
