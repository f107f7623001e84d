using System.Globalization;
using Karma.Serving.Core.Indexing;

namespace Karma.Bench;

/// <summary>
/// One way to store and search our HNSW index in a benchmark: the storage and the refine factor, written
/// <c>NAME[xREFINE]</c> on the command line (<c>Float32</c>, <c>BFloat16x2</c>, <c>Int8x8</c>), so one run can measure
/// several against the same peers.
/// </summary>
public sealed record HnswVariant(HnswQuantization Quantization, int Refine = 1)
{
    /// <summary>Plain f32 storage, no refine step: the default.</summary>
    public static HnswVariant Default { get; } = new(HnswQuantization.Float32);

    /// <summary>The command-line spelling, e.g. <c>BFloat16x2</c>.</summary>
    public override string ToString() => Refine > 1 ? string.Create(CultureInfo.InvariantCulture, $"{Quantization}x{Refine}") : Quantization.ToString();

    /// <summary>Reads a comma-separated list of variants.</summary>
    /// <exception cref="ArgumentException">An entry names no storage, or its refine factor is not 1..64.</exception>
    public static IReadOnlyList<HnswVariant> ParseList(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        var variants = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(e => Parse(e, option)).ToList();
        return variants.Count > 0 ? variants : throw new ArgumentException($"{option} is empty; e.g. Float32,Float16x2");
    }

    private static HnswVariant Parse(string entry, string option)
    {
        int x = entry.LastIndexOf('x');
        string name = x > 0 ? entry[..x] : entry;
        int refine = 1;
        if (x > 0 && !(int.TryParse(entry[(x + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out refine) && refine is >= 1 and <= 64))
        {
            throw new ArgumentException($"{option} '{entry}': the refine factor after 'x' must be 1..64");
        }

        if (!Enum.TryParse<HnswQuantization>(name, ignoreCase: true, out var quantization) || !Enum.IsDefined(quantization))
        {
            throw new ArgumentException($"{option} '{entry}': storage is one of {string.Join(", ", Enum.GetNames<HnswQuantization>())}, optionally followed by xREFINE (e.g. BFloat16x2)");
        }

        return new HnswVariant(quantization, refine);
    }
}
