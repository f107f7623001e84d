using Karma.Core.Package;
using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Items;

namespace Karma.Serving.Core.Tests.Items;

/// <summary>A package's index with rows appended and removed answers like an exact search over what is served.</summary>
public sealed class AppendedIndexTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-appended-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float[] Unit(Random random, int n, int d)
    {
        var v = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            double norm = 0;
            for (int j = 0; j < d; j++)
            {
                v[(i * d) + j] = (float)(random.NextDouble() - 0.5);
                norm += v[(i * d) + j] * v[(i * d) + j];
            }

            for (int j = 0; j < d; j++)
            {
                v[(i * d) + j] /= (float)Math.Sqrt(norm);
            }
        }

        return v;
    }

    private sealed class EvenRows : IRowFilter
    {
        public bool Accepts(int row) => row % 2 == 0;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(37)]
    [InlineData(5000)]
    public void AnswersLikeExactSearchOverTheServedRows(int appendedRows)
    {
        const int n = 500, d = 16;
        var random = new Random(appendedRows + 1);
        float[] table = Unit(random, n, d), added = Unit(random, appendedRows, d);
        string path = Path.Combine(_dir, "table.bin");
        VectorTableWriter.Write(path, table, n, d, VectorElementType.Float32);
        using var vectors = VectorTable.Open(path);
        using var exact = new ExactIndex(vectors);
        var store = new RowStore(d);
        store.Append(added);
        var rows = new AppendedRows(vectors, store, appendedRows);
        var removed = RemovedRows.None.With(Enumerable.Range(0, n + appendedRows).Where(r => r % 7 == 3));
        var index = new AppendedIndex(exact, rows, removed);
        Assert.Equal(n + appendedRows, index.Count);

        float[] all = [.. table, .. added];
        foreach (var filter in new IRowFilter?[] { null, new EvenRows() })
        {
            for (int q = 0; q < 5; q++)
            {
                float[] query = Unit(random, 1, d);
                var expected = Enumerable.Range(0, n + appendedRows)
                    .Where(r => !removed.Contains(r) && (filter is null || filter.Accepts(r)))
                    .Select(r => new Hit(r, System.Numerics.Tensors.TensorPrimitives.Dot(query, all.AsSpan(r * d, d))))
                    .OrderByDescending(h => h.Score).ThenBy(h => h.Row).Take(20).ToList();
                var actual = index.Search(query, 20, filter);
                Assert.Equal(expected.Select(h => h.Row), actual.Select(h => h.Row));
            }
        }
    }

    [Fact]
    public void RemovedRows_AreCountedOnce_AndRestrictComposes()
    {
        var removed = RemovedRows.None.With([3, 3, 64, 200]);
        Assert.Equal(3, removed.Count);
        Assert.True(removed.Contains(64));
        Assert.False(removed.Contains(65));
        Assert.False(removed.Contains(100_000)); // beyond the bits: not removed
        Assert.Same(removed, removed.With([]));
        Assert.Null(RemovedRows.None.Restrict(null));
        var both = removed.Restrict(new EvenRows())!;
        Assert.False(both.Accepts(64));
        Assert.False(both.Accepts(5));
        Assert.True(both.Accepts(6));
    }
}
