"""DRF serializers with the fields and order of hancup's CourseSummary / CourseDetail."""
from rest_framework import serializers

from . import markdown
from .models import Category, Course, Instructor, Lesson


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name"]


class InstructorRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instructor
        fields = ["id", "display_name"]


def rating_average(course):
    """Mean rating to two decimals (half away from zero, as hancup rounds), None before any."""
    if course.rating_count <= 0:
        return None
    return int(course.rating_sum / course.rating_count * 100.0 + 0.5) / 100.0


class CourseSummarySerializer(serializers.ModelSerializer):
    category = CategoryRefSerializer(read_only=True)
    instructor = InstructorRefSerializer(read_only=True)
    rating_average = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = ["id", "slug", "title", "summary", "category", "level", "instructor",
                  "lesson_count", "enrollment_count", "published_at", "rating_average",
                  "rating_count"]

    def get_rating_average(self, course):
        return rating_average(course)


class LessonOutlineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lesson
        fields = ["id", "position", "title", "duration_seconds", "is_preview"]


class CourseDetailSerializer(CourseSummarySerializer):
    description_html = serializers.SerializerMethodField()
    lessons = LessonOutlineSerializer(many=True, read_only=True)

    class Meta(CourseSummarySerializer.Meta):
        fields = CourseSummarySerializer.Meta.fields + ["description", "description_html", "lessons"]

    def get_description_html(self, course):
        return markdown.to_safe_html(course.description)
