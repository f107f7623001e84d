using Karma.Core.Data;
using Karma.Core.Text;

namespace Karma.Training.Training;

/// <summary>Builds the tokenizer of a run from the training period's text only.</summary>
public static class TokenizerBuilder
{
    /// <summary>
    /// Trains BPE on the catalog text (<see cref="TokenizerCorpus"/>) of the items shown in training-period requests
    /// and on the training-period queries (<see cref="TemporalSplit.InTrainingPeriod"/>): held-out queries and items
    /// that arrived after the training period never shape the vocabulary.
    /// </summary>
    public static BpeTokenizer Build(SearchLog log, TemporalSplit split, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(split);
        bool[] known = split.TrainingPeriodItems(log);
        var items = log.Items.Where((_, i) => known[i]);
        return BpeTokenizer.Train(TokenizerCorpus.FromCatalog(items, split.TrainingQueries(log)), new BpeTrainingOptions { VocabSize = vocabSize });
    }
}
