using Karma.Serving.Core.Inference;

namespace Karma.Serving.Core.Monitoring;

/// <summary>
/// What interests decode to, as a distribution over words: each decoded interest contributes its
/// <see cref="PerRequest"/> likeliest words, weighted by their probabilities normalised to 1, and the profile is their
/// exponentially weighted mean (weight <c>alpha</c> for the newest, or a plain mean while fewer than 1/alpha were
/// added). Words outside the <see cref="MaxWords"/> heaviest are folded into <see cref="Other"/>. Not thread-safe.
/// </summary>
public sealed class DecodedWordProfile
{
    /// <summary>Decoded words read per interest.</summary>
    public const int PerRequest = 10;

    /// <summary>Distinct words kept; the rest of the mass is <see cref="Other"/>.</summary>
    public const int MaxWords = 500;

    /// <summary>The key of the mass of every word not kept.</summary>
    public const string Other = "(other)";

    private readonly Dictionary<string, double> _mass = new(StringComparer.Ordinal);
    private readonly double _alpha;

    /// <summary>Creates an empty profile; <paramref name="alpha"/> 0 keeps a plain mean forever.</summary>
    public DecodedWordProfile(double alpha = 0) => _alpha = alpha;

    /// <summary>Interests added.</summary>
    public long Count { get; private set; }

    /// <summary>Adds one decoded interest.</summary>
    public void Add(DecodedInterest decoded)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        var words = decoded.Words.Take(PerRequest).ToList();
        double total = words.Sum(w => (double)w.Probability);
        if (total <= 0 || !double.IsFinite(total))
        {
            return;
        }

        Count++;
        double w = Math.Max(_alpha, 1.0 / Count);
        foreach (string key in _mass.Keys.ToList())
        {
            _mass[key] *= 1 - w;
        }

        foreach (var word in words)
        {
            _mass[word.Word] = _mass.GetValueOrDefault(word.Word) + (w * word.Probability / total);
        }

        if (_mass.Count > 2 * MaxWords)
        {
            Prune();
        }
    }

    /// <summary>The distribution: the <see cref="MaxWords"/> heaviest words and <see cref="Other"/>, summing to 1 (empty before any interest).</summary>
    public Dictionary<string, double> Distribution()
    {
        Prune();
        double total = _mass.Values.Sum();
        return total > 0 ? _mass.ToDictionary(kv => kv.Key, kv => kv.Value / total, StringComparer.Ordinal) : [];
    }

    /// <summary>
    /// Jensen–Shannon divergence (base 2) of <paramref name="served"/> from <paramref name="reference"/> over the
    /// reference's words; served words the reference does not know count as <see cref="Other"/>.
    /// </summary>
    public static double Divergence(IReadOnlyDictionary<string, double> served, IReadOnlyDictionary<string, double> reference)
    {
        ArgumentNullException.ThrowIfNull(served);
        ArgumentNullException.ThrowIfNull(reference);
        var keys = reference.Keys.Append(Other).Distinct(StringComparer.Ordinal).ToList();
        var p = new float[keys.Count];
        var q = new float[keys.Count];
        for (int i = 0; i < keys.Count; i++)
        {
            q[i] = (float)reference.GetValueOrDefault(keys[i]);
        }

        int other = keys.IndexOf(Other);
        var index = keys.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => x.i, StringComparer.Ordinal);
        foreach (var (word, mass) in served)
        {
            p[index.TryGetValue(word, out int i) ? i : other] += (float)mass;
        }

        return InterestProfile.JensenShannon(p, q);
    }

    /// <summary>Folds everything but the <see cref="MaxWords"/> heaviest words into <see cref="Other"/>.</summary>
    private void Prune()
    {
        var dropped = _mass.Where(kv => kv.Key != Other).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Skip(MaxWords).ToList();
        foreach (var (word, mass) in dropped)
        {
            _mass.Remove(word);
            _mass[Other] = _mass.GetValueOrDefault(Other) + mass;
        }
    }
}
