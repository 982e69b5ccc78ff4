"""Unmanaged models over hancup's tables (schema.sql): the columns the two endpoints read."""
from django.db import models


class Category(models.Model):
    slug = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)

    class Meta:
        managed = False
        db_table = "categories"


class Instructor(models.Model):
    display_name = models.CharField(max_length=100)

    class Meta:
        managed = False
        db_table = "users"


class Course(models.Model):
    slug = models.CharField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500)
    description = models.TextField()
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="courses")
    level = models.CharField(max_length=16)
    instructor = models.ForeignKey(Instructor, on_delete=models.PROTECT, related_name="courses")
    status = models.CharField(max_length=16)
    # Stored as RFC 3339 UTC text by hancup and served as is (a DateTimeField would parse
    # and re-format every value into the same string).
    published_at = models.CharField(max_length=32, null=True)
    lesson_count = models.IntegerField()
    enrollment_count = models.IntegerField()
    rating_sum = models.IntegerField()
    rating_count = models.IntegerField()

    class Meta:
        managed = False
        db_table = "courses"


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    position = models.IntegerField()
    title = models.CharField(max_length=200)
    duration_seconds = models.IntegerField()
    is_preview = models.BooleanField()

    class Meta:
        managed = False
        db_table = "lessons"
