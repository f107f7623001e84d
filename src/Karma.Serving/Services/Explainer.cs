using Grpc.Core;
using Karma.Search.Hybrid;
using Karma.Serving.Contracts.V1;
using Karma.Serving.Core.Inference;
using Karma.Serving.Core.Search;
using Karma.Serving.Model;

namespace Karma.Serving.Services;

/// <summary>
/// Builds Explain's answer (and Search's when asked): the interest's decoded words through the package's decoder, and
/// per item the decoded words it shares and its score parts.
/// </summary>
internal static class Explainer
{
    /// <summary>Decoded words returned when the request does not say.</summary>
    public const int DefaultTopWords = 20;

    /// <summary>Most decoded words a request may ask for.</summary>
    public const int MaxTopWords = 100;

    /// <summary>Longest decoded text a request may ask for, in tokens.</summary>
    public const int MaxTokens = 64;

    /// <summary>The package's decoder, or FAILED_PRECONDITION naming the model version and the fix.</summary>
    public static InterestDecoder DecoderOf(ServingModel model)
        => model.Package.Decoder ?? throw new RpcException(new Status(StatusCode.FailedPrecondition,
            $"model {model.Package.Version} has no decoder graph (exported before Explain existed); re-export it with `karma export` to explain it"));

    /// <summary>Decodes the interest and explains <paramref name="rows"/> in order.</summary>
    public static Explanation Explain(ServingModel model, SearchPipeline pipeline, InterestDecoder decoder, RequestContext request, int[] rows,
        int topWords, int maxTokens)
    {
        var decoded = decoder.Decode(request.Interest, maxTokens == 0 ? model.Package.Manifest.Limits!.MaxItemTokens : maxTokens,
            topWords == 0 ? DefaultTopWords : topWords);
        var explanation = new Explanation { Text = decoded.Text };
        explanation.Words.AddRange(decoded.Words.Select(w => new Contracts.V1.DecodedWord { Word = w.Word, Probability = w.Probability }));
        var interestWords = decoded.Words.Select(w => w.Word).ToList();
        var catalog = pipeline.Items.Catalog;
        foreach (var part in pipeline.Parts(request, rows))
        {
            string title = catalog.Titles[part.Row] ?? string.Empty, category = catalog.Categories[part.Row];
            var itemWords = decoder.WordsOf(title + " " + category.Replace('/', ' '));
            var item = new ItemExplanation
            {
                ItemId = catalog.Ids[part.Row],
                Title = title,
                Category = category,
                KarmaScore = part.Karma,
                LexicalScore = part.Lexical,
                CategoryProbability = part.CategoryProbability,
                PrerankScore = part.PreRank,
            };
            item.SharedWords.AddRange(interestWords.Where(itemWords.Contains));
            explanation.Items.Add(item);
        }

        return explanation;
    }
}
