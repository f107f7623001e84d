using Karma.Core.Data;
using Karma.Core.Text;

namespace Karma.Core.Tests.Text;

public sealed class TokenizerCorpusTests
{
    [Fact]
    public void FromCatalog_YieldsItemTextsThenNonBlankQueries()
    {
        Item[] items =
        [
            new("a", "Red Shoe", "light, fast", "apparel/shoes", "Acme", 3, null),
            new("b", "Mug", null, "home/kitchen", " ", null, null),
        ];
        var texts = TokenizerCorpus.FromCatalog(items, ["red shoe", null, "  ", "red shoe"]).ToList();
        Assert.Equal(["Red Shoe", "light, fast", "apparel/shoes", "Acme", "Mug", "home/kitchen", "red shoe", "red shoe"], texts);

        var tok = BpeTokenizer.Train(texts, new BpeTrainingOptions { MinFrequency = 1 });
        Assert.Equal("apparel / shoes", tok.Decode(tok.Encode("Apparel/Shoes")));
    }
}
