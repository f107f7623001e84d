using Karma.Core.Data;
using Karma.Core.Text;
using Karma.Training.Batching;

namespace Karma.Training.Training;

/// <summary>Builds the tokenizer of a run from the catalog's text and the log's queries.</summary>
public static class TokenizerBuilder
{
    /// <summary>Trains BPE on item texts, descriptions and queries.</summary>
    public static BpeTokenizer Build(SearchLog log, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(log);
        IEnumerable<string> Texts()
        {
            foreach (var item in log.Items)
            {
                yield return ItemFeatures.ItemText(item);
                if (item.Description is not null)
                {
                    yield return item.Description;
                }

                if (item.Brand is not null)
                {
                    yield return item.Brand;
                }
            }

            foreach (var r in log.Requests)
            {
                if (r.Query is not null)
                {
                    yield return r.Query;
                }
            }
        }

        return BpeTokenizer.Train(Texts(), new BpeTrainingOptions { VocabSize = vocabSize });
    }
}
