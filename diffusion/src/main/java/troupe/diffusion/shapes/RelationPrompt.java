package troupe.diffusion.shapes;

/**
 * "a blue square left of a green triangle". The two colours differ, so colour alone tells the objects apart.
 */
public record RelationPrompt(NamedColor firstColor, ShapeKind firstShape, Relation relation, NamedColor secondColor,
    ShapeKind secondShape) implements Prompt {

  public RelationPrompt {
    if (firstColor == null || firstShape == null || relation == null || secondColor == null || secondShape == null) {
      throw new IllegalArgumentException("relation prompt needs two colors, two shapes and a relation");
    }
    if (firstColor == secondColor) {
      throw new IllegalArgumentException("the two objects of a relation prompt must have different colors, both are "
          + firstColor.word());
    }
  }

  @Override
  public String text() {
    return "a " + firstColor.word() + " " + firstShape.singular() + " " + relation.text() + " a " + secondColor.word()
        + " " + secondShape.singular();
  }

  /** LEFT_OF and ABOVE are canonical; RIGHT_OF and BELOW swap the objects and flip the relation. */
  @Override
  public Prompt canonical() {
    if (relation == Relation.RIGHT_OF || relation == Relation.BELOW) {
      return new RelationPrompt(secondColor, secondShape, relation.opposite(), firstColor, firstShape);
    }
    return this;
  }

  @Override
  public String toString() {
    return text();
  }
}
