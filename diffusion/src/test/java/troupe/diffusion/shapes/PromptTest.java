package troupe.diffusion.shapes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PromptTest {
  static final ShapesWorld WORLD = new ShapesWorld(0);

  @Test
  void theGrammarHas36CountAnd432RelationPromptsAllDistinct() {
    long counts = WORLD.all().stream().filter(p -> p instanceof CountPrompt).count();
    long relations = WORLD.all().stream().filter(p -> p instanceof RelationPrompt).count();
    assertEquals(36, counts);
    assertEquals(432, relations);
    Set<String> texts = new HashSet<>();
    WORLD.all().forEach(p -> texts.add(p.text()));
    assertEquals(468, texts.size());
  }

  @Test
  void parseInvertsTextForEveryPrompt() {
    for (Prompt p : WORLD.all()) {
      assertEquals(p, Prompt.parse(p.text()));
    }
    assertEquals("two red circles", Prompt.parse("two red circles").text());
    assertEquals("a blue square left of a green triangle", Prompt.parse("a blue square left of a green triangle").text());
    assertEquals("a red circle above a blue circle", Prompt.parse("a red circle above a blue circle").text());
  }

  @Test
  void parseErrorsNameTheBadWordAndTheAllowedOnes() {
    assertError("a purple circle", "\"purple\"", "red, green, blue, yellow");
    assertError("two red circle", "\"circle\"", "circles, squares, triangles");
    assertError("a red circles", "\"circles\"", "circle, square, triangle");
    assertError("four red circles", "\"four\"", "a, two, three");
    assertError("a red circle near a blue square", "\"near\"", "left of, right of, above, below");
    assertError("a red circle left a blue square", "\"left\"", "left of");
    assertError("a red circle left of one blue square", "\"one\"", "allowed: a");
    assertError("a red circle left of a blue square today", "\"today\"", "(end)");
    assertError("two red circles left of a blue square", "\"left\"", "relation prompts start with \"a\"");
    assertError("a red circle left of a blue", "the end of the prompt", "circle, square, triangle");
    assertError("", "the end of the prompt", "a, two, three");
    assertError("a red circle left of a red square", "different colors", "red");
  }

  private static void assertError(String text, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Prompt.parse(text));
    for (String fragment : fragments) {
      assertTrue(e.getMessage().contains(fragment), () -> "\"" + e.getMessage() + "\" lacks " + fragment);
    }
  }

  @Test
  void equivalentRelationPromptsShareOneCanonicalForm() {
    Prompt left = Prompt.parse("a red circle left of a blue square");
    Prompt right = Prompt.parse("a blue square right of a red circle");
    assertEquals(left.canonical(), right.canonical());
    assertEquals(Prompt.parse("a red circle above a blue square").canonical(),
        Prompt.parse("a blue square below a red circle").canonical());
    assertNotEquals(left.canonical(), Prompt.parse("a red circle right of a blue square").canonical());
    assertNotEquals(left.canonical(), Prompt.parse("a blue circle left of a red square").canonical());

    Set<Prompt> classes = new HashSet<>();
    for (Prompt p : WORLD.all()) {
      Prompt c = p.canonical();
      assertEquals(c, c.canonical());
      if (c instanceof RelationPrompt r) {
        assertTrue(r.relation() == Relation.LEFT_OF || r.relation() == Relation.ABOVE);
      } else {
        assertEquals(p, c);
      }
      classes.add(c);
    }
    assertEquals(36 + 216, classes.size());
  }

  @Test
  void relationPromptsRejectTwoObjectsOfOneColour() {
    assertThrows(IllegalArgumentException.class, () -> new RelationPrompt(NamedColor.RED, ShapeKind.CIRCLE,
        Relation.ABOVE, NamedColor.RED, ShapeKind.SQUARE));
    assertThrows(IllegalArgumentException.class, () -> new CountPrompt(4, NamedColor.RED, ShapeKind.CIRCLE));
  }
}
