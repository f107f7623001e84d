using Karma.Core.Package;
using Karma.Serving.Core.Indexing;

namespace Karma.Serving.Core.Tests.Indexing;

/// <summary>A filter from a predicate.</summary>
internal sealed class PredicateFilter(Func<int, bool> accepts) : IRowFilter
{
    public bool Accepts(int row) => accepts(row);
}

/// <summary>Seeded vector generators and table files for index tests.</summary>
internal static class TestVectors
{
    public static readonly IRowFilter EvenRows = new PredicateFilter(static row => row % 2 == 0);

    public static readonly IRowFilter NoRows = new PredicateFilter(static _ => false);

    /// <summary>Writes <paramref name="data"/> as a table in <paramref name="dir"/> and opens it.</summary>
    public static VectorTable Table(string dir, string name, float[] data, int rows, int cols, VectorElementType type)
    {
        string path = Path.Combine(dir, name);
        VectorTableWriter.Write(path, data, rows, cols, type);
        return VectorTable.Open(path);
    }

    /// <summary>What a table of <paramref name="type"/> reads back: float16 rounds each value.</summary>
    public static float[] Stored(float[] data, VectorElementType type) =>
        type == VectorElementType.Float32 ? data : Array.ConvertAll(data, static v => (float)(Half)v);

    /// <summary>
    /// Small integers in [-8, 8]: every dot product of up to 130 of them is exact in float32 whatever the summation
    /// order, so SIMD and scalar scores agree bit for bit and equal scores (ties) are common and real.
    /// </summary>
    public static float[] Integers(int count, Random rng)
    {
        var data = new float[count];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = rng.Next(-8, 9);
        }

        return data;
    }

    public static float Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    /// <summary>Rows of independent Gaussians, each scaled to unit length.</summary>
    public static float[] UnitGaussian(int rows, int dims, Random rng)
    {
        var data = new float[rows * dims];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = Gaussian(rng);
        }

        Normalize(data, dims);
        return data;
    }

    /// <summary>
    /// Clustered unit vectors: <paramref name="centres"/> random unit centres; each row is a random centre plus
    /// Gaussian noise of <paramref name="noise"/> per dimension, normalised. With noise 0.08 in 64-d the noise has
    /// norm ~0.64, so a row's cosine to its centre is ~0.84 while unrelated centres sit near 0: clearly clustered,
    /// yet neighbours within a cluster are not trivial to rank.
    /// </summary>
    public static (float[] Rows, float[] Queries) Clustered(int rows, int queries, int dims, int centres, float noise, int seed)
    {
        var rng = new Random(seed);
        float[] c = UnitGaussian(centres, dims, rng);
        float[] Draw(int n)
        {
            var data = new float[n * dims];
            for (int i = 0; i < n; i++)
            {
                int centre = rng.Next(centres);
                for (int j = 0; j < dims; j++)
                {
                    data[(i * dims) + j] = c[(centre * dims) + j] + (noise * Gaussian(rng));
                }
            }

            Normalize(data, dims);
            return data;
        }

        float[] table = Draw(rows);
        return (table, Draw(queries));
    }

    public static void Normalize(float[] data, int dims)
    {
        for (int r = 0; r < data.Length / dims; r++)
        {
            var row = data.AsSpan(r * dims, dims);
            double sum = 0;
            foreach (float v in row)
            {
                sum += (double)v * v;
            }

            float inv = (float)(1.0 / Math.Sqrt(sum));
            for (int j = 0; j < row.Length; j++)
            {
                row[j] *= inv;
            }
        }
    }

    /// <summary>|found ∩ expected| / |expected| over the first k of each.</summary>
    public static double Recall(IReadOnlyList<Hit> found, IReadOnlyList<Hit> expected)
    {
        var truth = expected.Select(static h => h.Row).ToHashSet();
        return truth.Count == 0 ? 1.0 : (double)found.Count(h => truth.Contains(h.Row)) / truth.Count;
    }
}
