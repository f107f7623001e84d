using System.Collections.Concurrent;
using Karma.Core.Data;
using Karma.Core.Package;
using Karma.Core.Text;
using Karma.Training.Configuration;
using Karma.Training.Objectives;
using Karma.Training.Pretrained;
using static TorchSharp.torch;

namespace Karma.Training.Batching;

/// <summary>
/// Lays out stage-2 sequences with <see cref="InterestSequence"/> (the layout the service uses too):
/// <c>[BOS] [ITEM]×history [SEP] query… [INT]</c>, followed for L_gen by the target
/// item's text and <c>[EOS]</c>. Causal attention keeps h_t (the state at [INT]) blind to the appended text,
/// so one forward pass gives both the interest embedding and the generation loss.
/// </summary>
public sealed class AlignBatchBuilder
{
    private readonly ItemFeatures _items;
    private readonly BpeTokenizer _tokenizer;
    private readonly ModelConfig _config;
    private readonly int _hardNegatives;
    private readonly double _historyDropout;
    private readonly TextInputs? _text;
    private readonly ConcurrentDictionary<string, int[]> _queryCache = new(StringComparer.Ordinal);

    /// <summary>Creates the builder.</summary>
    /// <param name="items">The catalog as tensors.</param>
    /// <param name="tokenizer">Query tokenizer.</param>
    /// <param name="config">Model sizes and limits.</param>
    /// <param name="hardNegatives">Hard negatives per example.</param>
    /// <param name="historyDropout">
    /// Training only (batches built with an RNG): probability that an example with a query is shown without its
    /// history, so the tower must read the query by itself and a history pointing elsewhere cannot drown it.
    /// </param>
    /// <param name="text">The frozen text encoder's query embeddings; required exactly when the model has a text encoder.</param>
    public AlignBatchBuilder(ItemFeatures items, BpeTokenizer tokenizer, ModelConfig config, int hardNegatives, double historyDropout = 0,
        TextInputs? text = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.HasTextEncoder != text is not null)
        {
            throw new ArgumentException(config.HasTextEncoder
                ? $"the model reads {config.TextEncoder} query embeddings; pass the text inputs"
                : "the model has no text encoder, yet text inputs were given", nameof(text));
        }

        _text = text;
        ArgumentOutOfRangeException.ThrowIfNegative(historyDropout);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(historyDropout, 1.0);
        _items = items;
        _tokenizer = tokenizer;
        _config = config;
        _hardNegatives = hardNegatives;
        _historyDropout = historyDropout;
    }

    /// <summary>Query tokens, truncated to the model's limit (cached: queries repeat a lot).</summary>
    public int[] QueryTokens(string? query)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            return [];
        }

        return _queryCache.GetOrAdd(query, q =>
        {
            var ids = _tokenizer.Encode(q);
            return ids.Length > _config.MaxQueryTokens ? ids[.._config.MaxQueryTokens] : ids;
        });
    }

    /// <summary>Builds a batch; <paramref name="rng"/> picks hard negatives when an example has more than needed.</summary>
    public AlignBatch Build(IReadOnlyList<InteractionExample> examples, bool withGen, Random? rng)
    {
        ArgumentNullException.ThrowIfNull(examples);
        int b = examples.Count, h = _hardNegatives;
        var local = new Dictionary<int, int>();
        var unique = new List<long>();
        int Local(int item)
        {
            if (!local.TryGetValue(item, out int k))
            {
                k = unique.Count;
                local[item] = k;
                unique.Add(item);
            }

            return k;
        }

        var seqs = new List<int>[b];
        var slots = new List<int>[b];
        var genLabels = withGen ? new List<long>[b] : null;
        var interestPos = new long[b];
        var targetLocal = new long[b];
        var targetItem = new long[b];
        var negLocal = new long[b * h];
        var negValid = new bool[b * h];
        int maxText = 0;
        for (int e = 0; e < b; e++)
        {
            var ex = examples[e];
            int start = Math.Max(0, ex.History.Length - _config.MaxHistory);
            int historyCount = ex.History.Length - start;
            int[] query = QueryTokens(ex.Query);
            if (rng is not null && _historyDropout > 0 && query.Length > 0 && rng.NextDouble() < _historyDropout)
            {
                historyCount = 0;
            }
            var layout = new long[InterestSequence.Length(historyCount, query.Length)];
            interestPos[e] = InterestSequence.Layout(historyCount, query, layout);
            var seq = new List<int>(layout.Length + _config.MaxItemTokens + 1);
            var slot = new List<int>(seq.Capacity);
            foreach (long id in layout)
            {
                seq.Add((int)id);
                slot.Add(0);
            }

            for (int i = 0; i < historyCount; i++)
            {
                slot[InterestSequence.FirstHistoryPosition + i] = Local(ex.History[start + i]) + 1;
            }

            var text = _items.TextTokens[ex.Target];
            maxText = Math.Max(maxText, text.Length);
            if (genLabels is not null)
            {
                var labels = new List<long>(seq.Count + text.Length + 1);
                for (int i = 0; i < seq.Count - 1; i++)
                {
                    labels.Add(Losses.IgnoreIndex);
                }

                foreach (int t in text)
                {
                    labels.Add(t);          // the previous position predicts this token
                    seq.Add(t);
                    slot.Add(0);
                }

                labels.Add(SpecialTokens.Eos); // the last text token predicts [EOS]
                labels.Add(Losses.IgnoreIndex); // nothing follows the final position
                genLabels[e] = labels;
                seq.Add(SpecialTokens.Eos);
                slot.Add(0);
            }

            seqs[e] = seq;
            slots[e] = slot;
            targetItem[e] = ex.Target;
            targetLocal[e] = Local(ex.Target);
            var negs = ex.HardNegatives;
            if (negs.Length > h && rng is not null)
            {
                negs = [.. negs];
                rng.Shuffle(negs);
            }

            for (int j = 0; j < h && j < negs.Length; j++)
            {
                negLocal[e * h + j] = Local(negs[j]);
                negValid[e * h + j] = true;
            }
        }

        int t_ = seqs.Max(s => s.Count);
        var tok = new long[b * t_];
        var slotArr = new long[b * t_];
        var gen = genLabels is null ? null : new long[b * t_];
        if (gen is not null)
        {
            Array.Fill(gen, Losses.IgnoreIndex);
        }

        for (int e = 0; e < b; e++)
        {
            for (int i = 0; i < seqs[e].Count; i++)
            {
                tok[e * t_ + i] = seqs[e][i];
                slotArr[e * t_ + i] = slots[e][i];
                if (gen is not null)
                {
                    gen[e * t_ + i] = genLabels![e][i];
                }
            }
        }

        var text2 = new long[b * maxText];
        var rec = new long[b * (maxText + 1)];
        Array.Fill(rec, Losses.IgnoreIndex);
        for (int e = 0; e < b; e++)
        {
            var text = _items.TextTokens[examples[e].Target];
            for (int i = 0; i < text.Length; i++)
            {
                text2[e * maxText + i] = text[i];
                rec[e * (maxText + 1) + i] = text[i];
            }

            rec[e * (maxText + 1) + text.Length] = SpecialTokens.Eos;
        }

        return new AlignBatch
        {
            UniqueItems = tensor(unique.ToArray()),
            Tokens = tensor(tok, [b, t_]),
            HistorySlot = tensor(slotArr, [b, t_]),
            InterestPosition = tensor(interestPos),
            GenLabels = gen is null ? null : tensor(gen, [b, t_]),
            TargetLocal = tensor(targetLocal),
            TargetItem = tensor(targetItem),
            HardNegativeLocal = tensor(negLocal, [b, h]),
            HardNegativeValid = tensor(negValid, [b, h]),
            TargetText = tensor(text2, [b, maxText]),
            RecLabels = tensor(rec, [b, maxText + 1]),
            QueryEmbedding = _text?.Queries(examples.Select(e => e.Query)),
        };
    }
}
