using Karma.Core.Package;
using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Karma.Serving.Core.Tests;

/// <summary>The GPU-path index (MatMul + TopK graph) checked on the CPU provider against a scalar brute force.</summary>
public sealed class OnnxExactIndexTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-onnx-index-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class EvenRows : IRowFilter
    {
        public bool Accepts(int row) => row % 2 == 0;
    }

    private sealed class FirstRows(int n) : IRowFilter
    {
        public bool Accepts(int row) => row < n;
    }

    private static List<Hit> BruteForce(float[] table, int d, float[] q, int k, IRowFilter? filter)
    {
        int n = table.Length / d;
        var hits = new List<Hit>();
        for (int r = 0; r < n; r++)
        {
            if (filter is not null && !filter.Accepts(r))
            {
                continue;
            }

            double s = 0;
            for (int c = 0; c < d; c++)
            {
                s += table[r * d + c] * q[c];
            }

            hits.Add(new Hit(r, (float)s));
        }

        return hits.OrderByDescending(h => h.Score).ThenBy(h => h.Row).Take(k).ToList();
    }

    [Theory]
    [InlineData(1, 3, 1)]
    [InlineData(50, 8, 10)]
    [InlineData(777, 13, 100)]
    [InlineData(3000, 64, 1000)]
    public void Search_EqualsBruteForce_WithAndWithoutFilters(int n, int d, int k)
    {
        var rng = new Random(n + d);
        var data = Enumerable.Range(0, n * d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        string path = Path.Combine(_dir, $"t{n}.bin");
        VectorTableWriter.Write(path, data, n, d, VectorElementType.Float32);
        using var table = VectorTable.Open(path);
        using var index = OnnxExactIndex.Build(table, InferenceDevice.Cpu, NullLogger.Instance);
        Assert.Equal("cpu", index.Device);
        foreach (IRowFilter? filter in new IRowFilter?[] { null, new EvenRows(), new FirstRows(3) })
        {
            for (int trial = 0; trial < 5; trial++)
            {
                var q = Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
                var expected = BruteForce(data, d, q, k, filter);
                var actual = index.Search(q, k, filter);
                Assert.Equal(expected.Select(h => h.Row), actual.Select(h => h.Row));
                Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First.Score - p.Second.Score) < 1e-4, $"{p.First} vs {p.Second}"));
            }
        }
    }

    [Fact]
    public void Search_WrongQueryLength_IsRejected()
    {
        string path = Path.Combine(_dir, "w.bin");
        VectorTableWriter.Write(path, new float[12], 3, 4, VectorElementType.Float32);
        using var table = VectorTable.Open(path);
        using var index = OnnxExactIndex.Build(table, InferenceDevice.Cpu, NullLogger.Instance);
        var error = Assert.Throws<ArgumentException>(() => index.Search(new float[5], 2));
        Assert.Contains("5 values", error.Message, StringComparison.Ordinal);
    }
}
