using System.Globalization;

namespace Karma.LoadTesting;

/// <summary>Weighted request kinds, e.g. <c>search:80,recall:10,prerank:10</c>.</summary>
public sealed class RequestMix
{
    private readonly (string Kind, double Cumulative)[] _table;

    private RequestMix((string Kind, double Cumulative)[] table) => _table = table;

    /// <summary>The known kinds.</summary>
    public static readonly string[] Kinds = ["search", "recall", "prerank", "encode"];

    /// <summary>Parses the command-line form; throws <see cref="FormatException"/> naming the bad entry.</summary>
    public static RequestMix Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<(string, double)>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] kv = part.Split(':');
            if (kv.Length != 2 || !Kinds.Contains(kv[0]) || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double w) || w < 0)
            {
                throw new FormatException($"mix entry '{part}' must be kind:weight with kind one of {string.Join(", ", Kinds)} and weight >= 0");
            }

            entries.Add((kv[0], w));
        }

        double total = entries.Sum(e => e.Item2);
        if (total <= 0)
        {
            throw new FormatException($"mix '{text}' has no positive weight");
        }

        double acc = 0;
        return new RequestMix(entries.Select(e => (e.Item1, acc += e.Item2 / total)).ToArray());
    }

    /// <summary>Picks a kind for a uniform draw in [0, 1).</summary>
    public string Pick(double u)
    {
        foreach (var (kind, cumulative) in _table)
        {
            if (u < cumulative)
            {
                return kind;
            }
        }

        return _table[^1].Kind;
    }
}
