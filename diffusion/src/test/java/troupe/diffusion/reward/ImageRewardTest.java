package troupe.diffusion.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import troupe.diffusion.image.RgbImage;
import troupe.diffusion.reward.ImageReward.Scored;
import troupe.diffusion.reward.ImageReward.Term;
import troupe.diffusion.shapes.Prompt;
import troupe.diffusion.shapes.ShapesWorld;

class ImageRewardTest {
  static final ShapesWorld WORLD = new ShapesWorld(0.1);
  static final String PROMPT = "a green circle above a red triangle";

  @Test
  void theRewardIsTheWeightedSumOfItsTerms() {
    RgbImage image = WORLD.render(Prompt.parse(PROMPT), 32, new Random(1));
    ImageReward reward = new ImageReward(List.of(new Term("composition", 2), new Term("composition_strict", 0.5),
        new Term("jpeg_compressibility", 0.1)));
    Scored s = reward.score(PROMPT, image);
    assertNull(s.failure());
    assertTrue(s.correct());
    assertEquals(2 + 0.5 + 0.1 * JpegCompressibility.reward(image), s.reward(), 1e-12);
    assertEquals(List.of("color", "count", "shape", "position"), List.copyOf(s.checks().keySet()));
  }

  @Test
  void partialCreditAndCorrectnessWithoutACompositionTerm() {
    RgbImage image = WORLD.render(Prompt.parse(PROMPT), 32, new Random(2));
    String wrong = "a green circle below a red triangle";
    Scored composition = new ImageReward(List.of(new Term("composition", 1))).score(wrong, image);
    assertEquals(0.75, composition.reward(), 1e-12);
    assertFalse(composition.correct());
    assertEquals(false, composition.checks().get("position"));

    ImageReward jpegOnly = new ImageReward(List.of(new Term("jpeg_compressibility", 1)));
    assertTrue(jpegOnly.score(PROMPT, image).correct());
    assertFalse(jpegOnly.score(wrong, image).correct());
  }

  @Test
  void aSampleThatCannotBeScoredGetsZeroAndAOneLineReason() {
    ImageReward reward = new ImageReward(List.of(new Term("composition", 1), new Term("jpeg_compressibility", 1)));
    Scored badPrompt = reward.score("a purple circle", RgbImage.blank(32));
    assertEquals(0, badPrompt.reward());
    assertFalse(badPrompt.correct());
    assertTrue(badPrompt.checks().isEmpty());
    assertTrue(badPrompt.failure().contains("purple") && !badPrompt.failure().contains("\n"), badPrompt.failure());

    Scored noImage = reward.score(PROMPT, null);
    assertEquals(0, noImage.reward());
    assertFalse(noImage.correct());
    assertTrue(noImage.failure() != null && !noImage.failure().isBlank());
  }

  @Test
  void unknownOrRepeatedTermsAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ImageReward(List.of(new Term("aesthetics", 1))));
    assertTrue(e.getMessage().contains("aesthetics") && e.getMessage().contains(String.join(", ", ImageReward.TERMS)));
    assertThrows(IllegalArgumentException.class,
        () -> new ImageReward(List.of(new Term("composition", 1), new Term("composition", 2))));
    assertThrows(IllegalArgumentException.class, () -> new ImageReward(List.of(new Term("composition", Double.NaN))));
  }
}
